// The runtimes memtide runs experiments in.
import { z } from 'zod';

export const RUNTIMES = ['node', 'python'] as const;
export const Runtime = z.enum(RUNTIMES);
export type Runtime = z.infer<typeof Runtime>;

/** What a record's runtime may be: a watched process can be neither (shared/watch-record.ts). */
export const RECORD_RUNTIMES = [...RUNTIMES, 'other'] as const;

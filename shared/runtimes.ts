// The runtimes memtide runs experiments in.
import { z } from 'zod';

export const RUNTIMES = ['node', 'python'] as const;
export const Runtime = z.enum(RUNTIMES);
export type Runtime = z.infer<typeof Runtime>;

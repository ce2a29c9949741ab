// The worker protocol: what a worker process reports on fd 3 (JSON lines), and the spec it is
// started with. The workers do not load zod (it adds ~14 MiB to the baseline every percent is
// measured against): the server validates their lines against these schemas.
import { z } from 'zod';
import { Env, HeapFigures, Params, PhaseName, Time } from '../run-record.js';
import { Runtime } from '../runtimes.js';

export const WorkerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'), t: Time, pid: z.number().int(), runtime: Runtime, version: z.string(),
    /** The allocator settings the worker saw in its own environment. */
    env: Env.optional(),
    /** CPython's object allocator as the worker found it: pymalloc, or malloc (PYTHONMALLOC=malloc). */
    objectAllocator: z.string().optional(),
  }),
  z.object({
    type: z.literal('phase'),
    phase: PhaseName,
    edge: z.enum(['start', 'end']),
    t: Time,
    heap: HeapFigures,
  }),
  z.object({ type: z.literal('heap'), t: Time, heap: HeapFigures }),
  z.object({ type: z.literal('done'), t: Time }),
  z.object({ type: z.literal('error'), t: Time, message: z.string(), phase: PhaseName.optional() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

/** What the server hands a worker on its command line. */
export const WorkerSpec = z.object({
  experiment: z.string(),
  params: Params,
  trim: z.boolean().optional(),
  /** How long settle idles (ms, SETTLE_MS in limits.ts); the worker's own default when absent. */
  settleMs: z.number().int().positive().optional(),
});
export type WorkerSpec = z.infer<typeof WorkerSpec>;

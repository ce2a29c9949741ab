// The worker protocol: what a worker process reports on fd 3 (JSON lines), and the spec it is
// started with. The workers do not load zod (it adds ~14 MiB to the baseline every percent is
// measured against): the server validates their lines against these schemas.
import { z } from 'zod';
import { CODE_FD, CODE_FIELDS } from '../custom/facts.js';
import type { Knobs } from '../knobs.js';
import { SETTLE_MS } from '../limits.js';
import { phasesOf } from '../phases.js';
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
  z.object({
    type: z.literal('error'), t: Time, message: z.string(), phase: PhaseName.optional(),
    /** The user's code failed (custom runs): which field, where in it, and the error's type. */
    code: z.object({
      field: z.enum(CODE_FIELDS),
      line: z.number().int().positive().optional(),
      column: z.number().int().positive().optional(),
      type: z.string().max(200),
    }).optional(),
  }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

/** How long the baseline idles before its gc(), and how often a working worker reports its heap. */
export const WORKER_TIMING = { baselineMs: 300, reportEveryMs: 50 } as const;

/**
 * What the server hands a worker on its command line: the experiment and the whole phase script,
 * with its timings, so neither worker keeps a copy of them (each only knows what every phase name
 * means in its runtime).
 */
export const WorkerSpec = z.object({
  experiment: z.string(),
  params: Params,
  /** The phases to walk, in order (shared/phases.ts phasesOf). */
  phases: z.array(PhaseName).min(1),
  baselineMs: z.number().int().nonnegative(),
  settleMs: z.number().int().nonnegative(),
  reportEveryMs: z.number().int().positive(),
  /** A custom run: the worker reads the code ({ setup, allocate, unreference } as JSON) from this descriptor. */
  codeFd: z.literal(CODE_FD).optional(),
});
export type WorkerSpec = z.infer<typeof WorkerSpec>;

/** The spec for one run: its phases from its knobs, its settle time, the fixed timings. */
export function workerSpec(run: { experiment: string; params: Params; knobs?: Pick<Knobs, 'trim'>; settleMs?: number; custom?: boolean }): WorkerSpec {
  return {
    experiment: run.experiment,
    params: run.params,
    phases: phasesOf({ trim: run.knobs?.trim }),
    baselineMs: WORKER_TIMING.baselineMs,
    settleMs: run.settleMs ?? SETTLE_MS.default,
    reportEveryMs: WORKER_TIMING.reportEveryMs,
    ...(run.custom && { codeFd: CODE_FD }),
  };
}

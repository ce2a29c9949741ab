// The WebSocket /ws protocol as two lists, like vitest's UI: the events the server pushes, and the
// calls the client makes.
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { Matrix, MatrixInfo } from '../matrix.js';
import { HeapSample, MemoryBreakdown, PhaseName, RunId, RunInfo, Sample, Summary, Time } from '../run-record.js';

// ---- events the server pushes ----
export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.string(), catalog: z.array(Experiment), runs: z.array(RunInfo), matrices: z.array(MatrixInfo).optional() }),
  z.object({ type: z.literal('run-started'), run: RunInfo }),
  /** The worker said it is ready: its runtime version and allocator are known. */
  z.object({ type: z.literal('run-updated'), run: RunInfo }),
  z.object({ type: z.literal('breakdown'), runId: RunId, breakdown: MemoryBreakdown }),
  z.object({ type: z.literal('phase'), runId: RunId, phase: PhaseName, edge: z.enum(['start', 'end']), t: Time }),
  z.object({ type: z.literal('samples'), runId: RunId, samples: z.array(Sample) }),
  /** This client fell behind (its socket's buffer was full): these samples were not sent to it. */
  z.object({ type: z.literal('samples-dropped'), runId: RunId, count: z.number().int().positive(), from: Time, to: Time }),
  z.object({ type: z.literal('heap'), runId: RunId, heap: z.array(HeapSample) }),
  z.object({ type: z.literal('run-finished'), runId: RunId, run: RunInfo, summary: Summary }),
  z.object({ type: z.literal('run-failed'), runId: RunId, run: RunInfo, error: z.string() }),
  z.object({ type: z.literal('pong'), t: Time, serverT: Time }),
  /** The waiting runs, in order, sent whenever the queue changes. */
  z.object({ type: z.literal('queue'), runs: z.array(RunInfo) }),
  /** An allocator matrix with its table, sent when it is created and whenever one of its runs starts or ends. */
  z.object({ type: z.literal('matrix'), matrix: Matrix }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

// ---- calls the client makes ----
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), t: Time }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// The WebSocket /ws protocol as two lists, like vitest's UI: the events the server pushes, and the
// calls the client makes.
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { RunListPage } from './http.js';
import { HeapSample, MemoryBreakdown, PhaseName, RunId, RunInfo, Sample, Summary, Time } from '../run-record.js';

// ---- events the server pushes ----
export const ServerMessage = z.discriminatedUnion('type', [
  /**
   * `runs`: the running and queued runs only; `history`: the first page of GET /api/runs (newest
   * first, no filter), or `historyError` when the database could not give it; `unsaved`: ended
   * runs not in the database yet (see `store`).
   */
  z.object({
    type: z.literal('hello'), version: z.string(), catalog: z.array(Experiment), runs: z.array(RunInfo), history: RunListPage,
    historyError: z.string().optional(), unsaved: z.array(RunInfo).default([]),
  }),
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
  /** An ended run is now in the database: one from another process on it (a CLI run), or one that waited for space. */
  z.object({ type: z.literal('run-stored'), run: RunInfo }),
  /** A run was deleted, here or by another process on the database. */
  z.object({ type: z.literal('run-deleted'), runId: RunId }),
  /** The ended runs this server could not store yet (each says why in `unsaved`), whenever that list changes. */
  z.object({ type: z.literal('store'), unsaved: z.array(RunInfo) }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

// ---- calls the client makes ----
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), t: Time }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// The WebSocket /ws protocol as two lists, like vitest's UI: the events the server pushes, and the
// calls the client makes.
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { Matrix, MatrixInfo } from '../matrix.js';
import { RunListPage } from './http.js';
import { HeapSample, MemoryBreakdown, PhaseName, RunId, RunInfo, Sample, Summary, Time } from '../run-record.js';
import { CgroupMemory, Marker, ProbeResult, SmapsRate, WatchBreakdown } from '../watch-record.js';

// ---- events the server pushes ----
export const ServerMessage = z.discriminatedUnion('type', [
  /**
   * `runs`: the running and queued runs only; `history`: the first page of GET /api/runs (newest
   * first, no filter), or `historyError` when the database could not give it; `unsaved`: ended
   * runs not in the database yet (see `store`); `watches`: the watches going on when the socket
   * opened (ended ones are in the history, kind 'watch'); `matrices`: every allocator matrix.
   */
  z.object({
    type: z.literal('hello'), version: z.string(), catalog: z.array(Experiment), runs: z.array(RunInfo), history: RunListPage,
    historyError: z.string().optional(), unsaved: z.array(RunInfo).default([]),
    matrices: z.array(MatrixInfo).optional(), watches: z.array(RunInfo).optional(),
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
  /** An allocator matrix with its table, sent when it is created and whenever one of its runs starts or ends. */
  z.object({ type: z.literal('matrix'), matrix: Matrix }),
  // A watch of a running process streams its RSS as `samples` (and the inspector's figures as
  // `heap`) under its id, like a run; the rest of what it records comes as these:
  z.object({ type: z.literal('watch-started'), run: RunInfo }),
  z.object({ type: z.literal('watch-breakdown'), runId: RunId, breakdown: WatchBreakdown }),
  /** The breakdown's interval changed (it follows what reading smaps costs). */
  z.object({ type: z.literal('watch-rate'), runId: RunId, rate: SmapsRate }),
  z.object({ type: z.literal('watch-cgroup'), runId: RunId, cgroup: CgroupMemory }),
  z.object({ type: z.literal('watch-marker'), runId: RunId, marker: Marker }),
  /** Sent when a probe starts (status 'running') and again when it has ended and RSS was read again. */
  z.object({ type: z.literal('watch-probe'), runId: RunId, probe: ProbeResult }),
  /** Stored before it is sent; run.watch has the end reason and the verdict. */
  z.object({ type: z.literal('watch-ended'), runId: RunId, run: RunInfo }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

// ---- calls the client makes ----
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), t: Time }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

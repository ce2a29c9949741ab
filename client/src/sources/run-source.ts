// Where runs come from. Views never ask "is this imported?": they dispatch and read the state, and
// the controller asks the run's source. Two sources implement it — the live server (./live-source.ts)
// and a file (./file-source.ts: an imported run, a report) — as vite-plugin-inspect's static mode
// reads a saved report through the same calls its server answers.
import type { Matrix } from '../../../shared/matrix.js';
import type {
  CreateMatrixAnswer, CreateMatrixBody, CreateRunAnswer, CreateRunBody, CreateWatchAnswer, CreateWatchBody, ProcessListAnswer, RunListPage, RunListQuery,
} from '../../../shared/protocol/http.js';
import type { RunRecord } from '../../../shared/run-record.js';
import type { Marker, ProbeKind, ProbeResult } from '../../../shared/watch-record.js';
import type { DashboardEvent } from '../state/dashboard-state.js';

export interface RunSource {
  /** Starts the stream of events into the state: a `hello` first (catalog and runs), then the rest. */
  connect(emit: (event: DashboardEvent) => void): void;
  /** The full record of a run this source holds. */
  load(id: string): Promise<RunRecord>;
  /** Forgets a run (after the user confirmed). */
  remove(id: string): Promise<void>;
  /** One page of the source's stored runs (the live server); a file's runs are all in the page already. */
  page?(query: RunListQuery): Promise<RunListPage>;
  /** Only where runs can be started and stopped (the live server): absent on a file. */
  start?(body: CreateRunBody): Promise<CreateRunAnswer>;
  cancel?(id: string): Promise<void>;
  /** An allocator matrix (shared/matrix.ts): started and read on the live server only. */
  startMatrix?(body: CreateMatrixBody): Promise<CreateMatrixAnswer>;
  loadMatrix?(id: string): Promise<Matrix>;
  /** Watching running processes: the live server only. */
  watches?: WatchCalls;
}

export interface WatchCalls {
  processes(): Promise<ProcessListAnswer>;
  start(body: CreateWatchBody): Promise<CreateWatchAnswer>;
  /** A watch's record, live or ended. */
  load(id: string): Promise<RunRecord>;
  mark(id: string, label: string): Promise<Marker>;
  probe(id: string, kind: ProbeKind): Promise<ProbeResult>;
  stop(id: string): Promise<void>;
}

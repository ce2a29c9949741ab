// The dashboard's one state, and the events that change it: what the server pushes
// (ServerMessage, shared/protocol/ws.ts) and what happens in the page (LocalEvent). apply() in
// ./apply.ts is the only function that makes a new state; views read it, never write it.
import type { Experiment } from '../../../shared/catalog/experiment.js';
import type { CodeError, CustomCode } from '../../../shared/custom/code.js';
import type { Knobs } from '../../../shared/knobs.js';
import type { CustomExperimentsAnswer } from '../../../shared/protocol/http.js';
import type { Runtime } from '../../../shared/runtimes.js';
import type { Matrix, MatrixInfo } from '../../../shared/matrix.js';
import type { ProcessListAnswer } from '../../../shared/protocol/http.js';
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { HeapSample, MemoryBreakdown, Phase, RunInfo, RunRecord } from '../../../shared/run-record.js';
import { initialHistory, type HistoryEvent, type HistoryState } from './history.js';
import type { ProbeKind, WatchTimeline } from '../../../shared/watch-record.js';
import { emptyLog, logOf, type SampleLog } from './sample-log.js';

/** Where a run comes from: this server, or a file (an import, a report). Only the controller asks. */
export type Origin = 'server' | 'file';

export interface HistoryEntry {
  run: RunInfo;
  origin: Origin;
}

/** The run on screen, filled live from the stream while it runs. */
export interface ShownRun {
  info: RunInfo;
  origin: Origin;
  phases: readonly Phase[];
  heap: readonly HeapSample[];
  breakdowns: readonly MemoryBreakdown[];
  samples: SampleLog;
  /** A watch's markers, probes, breakdowns, cgroup readings and smaps rates (kind 'watch' only). */
  watch?: WatchTimeline;
  /** Played back at this speed (sources/replay-player.ts), until its end message. */
  replay?: number;
}

/** A run going on now: running, and not a stored run replayed (whose status reads running too). */
export const isLive = (shown: ShownRun | undefined): shown is ShownRun => shown?.info.status === 'running' && shown.replay === undefined;

/** The process picker ("Watch a process"): GET /api/processes, fetched when opened or refreshed. */
export interface ProcessPicker {
  open: boolean;
  /** Bumped to ask the controller for the list again; `loading` while that fetch is in flight. */
  seq: number;
  loading: boolean;
  answer?: ProcessListAnswer;
  error?: string;
}

/** A probe this page asked for, until the server answered (the buttons wait on it), and the last refusal. */
export interface ProbeAsk {
  id: string;
  kind: ProbeKind;
  pending: boolean;
  /** The server's 4xx text, or a probe's error, said beside the buttons. */
  error?: string;
}

/** A run being fetched: its stream messages wait in `pending`, then apply on top of the record. */
export interface Fetching {
  id: string;
  seq: number;
  pending: readonly ServerMessage[];
  /** Asked for again while in flight: fetch once more when this one lands (not once per ask). */
  again: boolean;
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'file';

export interface Comparison {
  ids: readonly string[];
  /** Undefined while loading. */
  records?: readonly RunRecord[];
  error?: string;
}

/** Code to put in the "Your code" card: a saved experiment to edit, a past run to change and re-run. */
export interface CodeDraft {
  runtime: Runtime;
  code: CustomCode;
  name?: string;
  /** The saved experiment it came from: Save updates that one. */
  savedId?: string;
  knobs?: Knobs;
  settleMs?: number;
  /** Where that run's code failed: marked in the editor. */
  codeError?: CodeError;
}

export interface DashboardState {
  connection: { state: ConnectionState; detail: string };
  /** Undefined until the catalog arrives (cards show a loading state meanwhile). */
  catalog: readonly Experiment[] | undefined;
  /** Has the source said hello (live: the server's list is in)? */
  ready: boolean;
  /** Every run this page knows of: the history's page, the live ones, those from files. */
  runs: ReadonlyMap<string, HistoryEntry>;
  /** The page of the server's runs the history panel shows (state/history.ts). */
  history: HistoryState;
  /** Ended runs the server could not store yet (each says why in `unsaved`). */
  unsaved: readonly RunInfo[];
  queue: readonly RunInfo[];
  /** Runs this page asked for (marked "yours" in the queue). */
  mine: ReadonlySet<string>;
  selected: ReadonlySet<string>;
  shown: ShownRun | undefined;
  /** Bumped whenever `shown` is replaced by another record: views that draw incrementally start over. */
  shownSeq: number;
  /** The run id in the page's address. */
  route: string | undefined;
  fetching: Fetching | undefined;
  fetchSeq: number;
  /** A run that was asked for and could not be shown, and why. */
  problem: { id: string; error: string } | undefined;
  compare: Comparison | undefined;
  /** The toolbar's last message (import, delete, errors). */
  notice: string;
  /** Whether this server runs user code, and the saved custom experiments (undefined in a report). */
  custom: CustomExperimentsAnswer | undefined;
  /** The last draft handed to the code card; seq tells a new one from the same one again. */
  codeDraft: { seq: number; draft: CodeDraft } | undefined;
  /** Allocator matrices: from the hello without their tables, whole from `matrix` events and fetches. */
  matrices: ReadonlyMap<string, MatrixInfo | Matrix>;
  /** The matrix whose table is open, and why it could not be loaded. */
  matrixShown: { id: string; error?: string } | undefined;
  processes: ProcessPicker;
  probeAsk: ProbeAsk | undefined;
}

export type LocalEvent =
  | { type: 'connection'; state: ConnectionState; detail: string }
  /** The catalog fetched with the page (before the stream's hello brings it again). */
  | { type: 'catalog'; catalog: readonly Experiment[] }
  | { type: 'route'; id: string | undefined }
  /** Show this run; `again` re-fetches the one on screen. */
  | { type: 'open'; id: string; again?: boolean }
  | { type: 'fetched'; seq: number; record: RunRecord }
  | { type: 'fetch-failed'; seq: number; error: string }
  /** Runs that exist only in this page (imported files, a report's runs). */
  | { type: 'file-runs'; runs: readonly RunInfo[] }
  | { type: 'removed'; id: string }
  | { type: 'select'; id: string; on: boolean }
  | { type: 'asked'; id: string }
  | { type: 'compare'; ids: readonly string[] }
  | { type: 'compare-loaded'; ids: readonly string[]; records?: readonly RunRecord[]; error?: string }
  | { type: 'compare-closed' }
  | { type: 'notice'; text: string }
  | { type: 'custom'; answer: CustomExperimentsAnswer }
  | { type: 'edit-code'; draft: CodeDraft }
  | { type: 'matrix-open'; id: string }
  | { type: 'matrix-loaded'; matrix: Matrix }
  | { type: 'matrix-failed'; id: string; error: string }
  | { type: 'matrix-closed' }
  // ---- watching a running process (views/process-picker.ts, views/watch-*.ts) ----
  | { type: 'processes-open'; open: boolean }
  | { type: 'processes-refresh' }
  | { type: 'processes-loaded'; seq: number; answer: ProcessListAnswer }
  | { type: 'processes-failed'; seq: number; error: string }
  | { type: 'probe-asked'; id: string; kind: ProbeKind }
  | { type: 'probe-answered'; id: string; kind: ProbeKind; error?: string }
  /** A stored run's message played back at `speed`: only the run on screen follows it. */
  | { type: 'replay'; speed: number; message: ServerMessage };

export type DashboardEvent = ServerMessage | LocalEvent | HistoryEvent;

export const initialState = (route?: string): DashboardState => ({
  connection: { state: 'connecting', detail: 'connecting…' },
  catalog: undefined,
  ready: false,
  runs: new Map(),
  history: initialHistory(),
  unsaved: [],
  queue: [],
  mine: new Set(),
  selected: new Set(),
  shown: undefined,
  shownSeq: 0,
  route,
  fetching: undefined,
  fetchSeq: 0,
  problem: undefined,
  compare: undefined,
  notice: '',
  custom: undefined,
  codeDraft: undefined,
  matrices: new Map(),
  matrixShown: undefined,
  processes: { open: false, seq: 0, loading: false },
  probeAsk: undefined,
});

export const shownOf = (record: RunRecord, origin: Origin): ShownRun => {
  const { phases, samples, heap, breakdowns, watchTimeline, ...info } = record;
  const watch = watchTimeline ?? (info.kind === 'watch' ? emptyTimeline() : undefined);
  return { info, origin, phases, heap, breakdowns, samples: logOf(samples), ...(watch && { watch }) };
};

export const emptyTimeline = (): WatchTimeline => ({ markers: [], probes: [], breakdowns: [], cgroup: [], smapsRates: [] });

/** A matrix with its table, or undefined while only its info is known. */
export const matrixTable = (m: MatrixInfo | Matrix | undefined): Matrix | undefined => (m && 'rows' in m ? m : undefined);

export const emptyShown = (info: RunInfo, origin: Origin): ShownRun =>
  ({ info, origin, phases: [], heap: [], breakdowns: [], samples: emptyLog(), ...(info.kind === 'watch' && { watch: emptyTimeline() }) });

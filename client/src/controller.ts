// The page's side effects, in one place: fetches the state asks for, the comparison's records, and
// the actions views call (run, cancel, delete, import, replay). It is the only code that knows
// which source a run comes from.
import type { CreateMatrixBody, CreateRunBody, CreateWatchBody } from '../../shared/protocol/http.js';
import type { RunRecord } from '../../shared/run-record.js';
import type { ProbeKind } from '../../shared/watch-record.js';
import { parseRunJson } from '../../shared/run-export.js';
import type { FileSource } from './sources/file-source.js';
import { playRecord } from './sources/replay-player.js';
import type { RunSource, WatchCalls } from './sources/run-source.js';
import { matrixTable } from './state/dashboard-state.js';
import { historyQuery } from './state/history.js';
import { watch, type Store } from './state/store.js';

export interface Actions {
  /** Undefined where runs cannot be started (a report). */
  start?(body: CreateRunBody): Promise<void>;
  /** Runs the experiment under every allocator setting and opens the matrix's table (live server only). */
  startMatrix?(body: CreateMatrixBody): Promise<void>;
  cancel(id: string): void;
  cancelQueued(): void;
  remove(id: string): Promise<void>;
  load(id: string): Promise<RunRecord>;
  importFile(name: string, text: string): void;
  replay(speed: number): void;
  /** Watching running processes: the live server only (undefined in a report). */
  watch?: WatchActions;
}

/** Each rejects with the server's words (a 4xx names the reason) for the view to show. */
export interface WatchActions {
  start(body: CreateWatchBody): Promise<void>;
  mark(id: string, label: string): Promise<void>;
  /** Its progress and refusal go through the state (probe-asked, probe-answered). */
  probe(id: string, kind: ProbeKind): Promise<void>;
  stop(id: string): Promise<void>;
}

export function startController(store: Store, files: FileSource, live?: RunSource): Actions {
  const { dispatch } = store;
  const sourceOf = (id: string): RunSource => (!live || store.state.value.runs.get(id)?.origin === 'file' ? files : live);
  // A live watch is not among the server's runs yet (GET /api/runs/:id): its record comes from
  // /api/watches/:id. One this page just started may not be listed yet either (its answer can
  // overtake the stream's watch-started).
  const startedWatches = new Set<string>();
  const loadRecord = (id: string): Promise<RunRecord> => {
    const source = sourceOf(id);
    const isWatch = store.state.value.runs.get(id)?.run.kind === 'watch' || startedWatches.has(id);
    return source === live && live.watches && isWatch ? live.watches.load(id) : source.load(id);
  };
  const say = (text: string) => dispatch({ type: 'notice', text });
  let stopReplay: (() => void) | undefined;
  let replaying: string | undefined;

  const fetching = store.select((s) => s.fetching && { id: s.fetching.id, seq: s.fetching.seq });
  let lastSeq = 0;
  watch(() => {
    const f = fetching.value;
    if (!f || f.seq === lastSeq) return;
    lastSeq = f.seq;
    loadRecord(f.id).then(
      (record) => dispatch({ type: 'fetched', seq: f.seq, record }),
      (error: Error) => dispatch({ type: 'fetch-failed', seq: f.seq, error: error.message }),
    );
  });

  // The history's page, whenever the state asks for it (a filter, a turn, a run that ended).
  const historyAsk = store.select((s) => s.history.loading);
  let lastHistorySeq: number | undefined;
  watch(() => {
    const seq = historyAsk.value;
    if (seq === undefined || seq === lastHistorySeq) return;
    lastHistorySeq = seq;
    const query = historyQuery(store.state.peek().history);
    const page = live?.page ? live.page(query) : Promise.resolve({ runs: [], total: 0 });
    page.then(
      (answer) => dispatch({ type: 'history-loaded', seq, page: answer }),
      (error: Error) => dispatch({ type: 'history-failed', seq, error: error.message }),
    );
  });

  const compareIds = store.select((s) => (s.compare && !s.compare.records && !s.compare.error ? s.compare.ids : undefined));
  watch(() => {
    const ids = compareIds.value;
    if (!ids) return;
    Promise.all(ids.map(loadRecord)).then(
      (records) => dispatch({ type: 'compare-loaded', ids, records }),
      (error: Error) => dispatch({ type: 'compare-loaded', ids, error: `could not compare: ${error.message}` }),
    );
  });

  // The open matrix's table, fetched when only its info (or nothing) is known here.
  const matrixToLoad = store.select((s) => (s.matrixShown && !s.matrixShown.error && !matrixTable(s.matrices.get(s.matrixShown.id)) ? s.matrixShown.id : undefined));
  watch(() => {
    const id = matrixToLoad.value;
    if (!id || !live?.loadMatrix) return;
    live.loadMatrix(id).then(
      (matrix) => dispatch({ type: 'matrix-loaded', matrix }),
      (error: Error) => dispatch({ type: 'matrix-failed', id, error: error.message }),
    );
  });

  const processesSeq = store.select((s) => (s.processes.loading ? s.processes.seq : undefined));
  watch(() => {
    const seq = processesSeq.value;
    if (seq === undefined || !live?.watches) return;
    live.watches.processes().then(
      (answer) => dispatch({ type: 'processes-loaded', seq, answer }),
      (error: Error) => dispatch({ type: 'processes-failed', seq, error: error.message }),
    );
  });

  const endReplay = () => {
    stopReplay?.();
    stopReplay = undefined;
    replaying = undefined;
  };

  return {
    start: live?.start && (async (body) => {
      const answer = await live.start!(body);
      dispatch({ type: 'asked', id: answer.id });
    }),
    startMatrix: live?.startMatrix && (async (body) => {
      const answer = await live.startMatrix!(body);
      for (const run of answer.runs) dispatch({ type: 'asked', id: run.id });
      dispatch({ type: 'matrix-open', id: answer.id });
    }),
    cancel(id) {
      if (id === replaying) {
        endReplay();
        dispatch({ type: 'open', id, again: true }); // back to the whole record
        return;
      }
      sourceOf(id).cancel?.(id).catch((e: Error) => say(e.message));
    },
    cancelQueued() {
      for (const run of store.state.value.queue) live?.cancel?.(run.id).catch((e: Error) => say(e.message));
    },
    async remove(id) {
      try {
        await sourceOf(id).remove(id);
        dispatch({ type: 'removed', id });
        say(`deleted ${id}`);
      } catch (error) {
        say(`could not delete ${id}: ${(error as Error).message}`);
      }
    },
    load: loadRecord,
    importFile(name, text) {
      const result = parseRunJson(text);
      if (!result.ok) return say(`${name}: ${result.error}`);
      const s = store.state.value;
      const kept = files.add(result.record, (id) => s.runs.has(id) || s.queue.some((r) => r.id === id) || s.shown?.info.id === id);
      dispatch({ type: 'file-runs', runs: files.infos().filter((r) => r.id === kept.id) });
      say(`imported ${kept.id} from ${name}`);
      dispatch({ type: 'open', id: kept.id });
    },
    replay(speed) {
      const shown = store.state.value.shown;
      if (!shown) return;
      const id = shown.info.id;
      endReplay();
      loadRecord(id).then((record) => {
        replaying = id;
        stopReplay = playRecord(record, speed, (message) => dispatch({ type: 'replay', speed, message }), () => (replaying = undefined));
      }, (e: Error) => say(`could not replay ${id}: ${e.message}`));
    },
    watch: live?.watches && watchActions(store, live.watches, (id) => startedWatches.add(id)),
  };
}

function watchActions(store: Store, calls: WatchCalls, started: (id: string) => void): WatchActions {
  const { dispatch } = store;
  return {
    async start(body) {
      const { id } = await calls.start(body);
      started(id);
      // watch-started usually came first over the WebSocket; if not, this shows it once it does.
      dispatch({ type: 'asked', id });
      dispatch({ type: 'open', id });
    },
    async mark(id, label) {
      await calls.mark(id, label);
    },
    async probe(id, kind) {
      dispatch({ type: 'probe-asked', id, kind });
      try {
        await calls.probe(id, kind);
        dispatch({ type: 'probe-answered', id, kind });
      } catch (error) {
        dispatch({ type: 'probe-answered', id, kind, error: (error as Error).message });
      }
    },
    stop: (id) => calls.stop(id),
  };
}

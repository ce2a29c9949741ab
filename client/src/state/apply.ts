// apply(state, event) → the next state: pure (no I/O, no clock), so a Node test drives it with the
// same messages the server sends. Fetches are asked for by setting `fetching`; the controller
// performs them and answers with `fetched`/`fetch-failed`, which fold the messages that raced the
// fetch on top of the record (the fetch-merge).
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { Experiment } from '../../../shared/catalog/experiment.js';
import type { HeapSample, Phase, RunInfo, RunRecord } from '../../../shared/run-record.js';
import {
  emptyShown, isLive, shownOf,
  type DashboardEvent, type DashboardState, type HistoryEntry, type LocalEvent, type Origin, type ShownRun,
} from './dashboard-state.js';
import { applyHistory, historyFromHello, reload, started, type HistoryEvent } from './history.js';
import { appendSamples } from './sample-log.js';
import { applyWatchLocal, onWatchTimeline, WATCH_LOCAL_TYPES, watchTakesScreen, type WatchLocalEvent } from './watch-apply.js';

export function apply(state: DashboardState, event: DashboardEvent): DashboardState {
  if (isHistory(event)) return applyHistoryEvent(state, event);
  return isLocal(event) ? applyLocal(state, event) : applyServer(state, event);
}

const isHistory = (e: DashboardEvent): e is HistoryEvent => e.type.startsWith('history-');

function applyHistoryEvent(s: DashboardState, e: HistoryEvent): DashboardState {
  const history = applyHistory(s.history, e);
  if (history === s.history) return s;
  if (e.type !== 'history-loaded' || history.runs !== e.page.runs) return { ...s, history };
  const runs = new Map(s.runs);
  for (const run of e.page.runs) runs.set(run.id, { run, origin: runs.get(run.id)?.origin ?? 'server' });
  return { ...s, history, runs };
}

/**
 * Messages after which the page of the history on screen may have other rows or another count:
 * `queue` and `store` too, since the server's page holds queued and unsaved runs in their place.
 * A run's start is put in place without asking (history.ts started).
 */
const CHANGES_HISTORY = new Set<string>(['run-finished', 'run-failed', 'run-stored', 'run-deleted', 'watch-started', 'watch-ended', 'queue', 'store']);

/** Every local event type, as a record so that a type added to LocalEvent and not here fails the typecheck. */
const LOCAL_TYPES: Record<LocalEvent['type'], true> = {
  connection: true, catalog: true, route: true, open: true, fetched: true, 'fetch-failed': true, 'file-runs': true, removed: true, select: true, asked: true,
  compare: true, 'compare-loaded': true, 'compare-closed': true, notice: true, 'matrix-open': true, 'matrix-loaded': true, 'matrix-failed': true, 'matrix-closed': true,
  custom: true, 'edit-code': true, replay: true,
  'processes-open': true, 'processes-refresh': true, 'processes-loaded': true, 'processes-failed': true, 'probe-asked': true, 'probe-answered': true,
};
const isLocal = (e: DashboardEvent): e is LocalEvent => Object.hasOwn(LOCAL_TYPES, e.type);
const isWatchLocal = (e: LocalEvent): e is WatchLocalEvent => (WATCH_LOCAL_TYPES as readonly string[]).includes(e.type);

export const runIdOf = (m: ServerMessage): string | undefined =>
  'runId' in m ? m.runId : m.type === 'run-updated' || m.type === 'run-started' || m.type === 'watch-started' ? m.run.id : undefined;

/** Asks for a run to be shown: a fetch, unless it is already live on screen or already in flight. */
export function request(s: DashboardState, id: string, again = false): DashboardState {
  if (!again && s.shown?.info.id === id && isLive(s.shown)) return s;
  if (s.fetching?.id === id) return s.fetching.again ? s : { ...s, fetching: { ...s.fetching, again: true } };
  const seq = s.fetchSeq + 1;
  return { ...s, fetchSeq: seq, fetching: { id, seq, pending: [], again: false } };
}

function show(s: DashboardState, shown: ShownRun): DashboardState {
  // Whatever was in flight is now stale: from here on messages apply live.
  return { ...s, shown, shownSeq: s.shownSeq + 1, fetching: undefined, problem: undefined, route: shown.info.id };
}

const withRun = (runs: ReadonlyMap<string, HistoryEntry>, run: RunInfo, origin: Origin): Map<string, HistoryEntry> =>
  new Map(runs).set(run.id, { run, origin: runs.get(run.id)?.origin ?? origin });

/** The shown run changed by `change` when the message is about it; else the same state. */
function onShown(s: DashboardState, id: string, change: (shown: ShownRun) => ShownRun): DashboardState {
  if (s.shown?.info.id !== id) return s;
  const next = change(s.shown);
  return next === s.shown ? s : { ...s, shown: next };
}

function appendNewer<T extends { t: number }>(into: readonly T[], items: readonly T[]): readonly T[] {
  const last = into.at(-1)?.t ?? -Infinity;
  const newer = items.filter((item) => item.t > last);
  return newer.length === 0 ? into : [...into, ...newer];
}

function applyPhase(phases: readonly Phase[], m: Extract<ServerMessage, { type: 'phase' }>): readonly Phase[] {
  if (m.edge === 'start') return phases.some((p) => p.name === m.phase) ? phases : [...phases, { name: m.phase, start: m.t }];
  const open = phases.findIndex((p) => p.name === m.phase && p.end === undefined);
  return open < 0 ? phases : phases.map((p, i) => (i === open ? { ...p, end: m.t } : p));
}

/**
 * A replayed message moves the run on screen as the live one did, and nothing else: the runs'
 * list, the history and the queue keep the run as it is stored (a replay once left its history
 * row saying "running" after it was stopped). The run says it is a replay until its end message.
 */
function replayed(s: DashboardState, speed: number, m: ServerMessage): DashboardState {
  const next = applyServer(s, m);
  if (next.shown === s.shown) return s; // not about the run on screen
  const replay = m.type === 'run-finished' || m.type === 'run-failed' ? undefined : speed;
  const shown = next.shown && next.shown.replay !== replay ? { ...next.shown, replay } : next.shown;
  return { ...s, shown, shownSeq: next.shownSeq, route: next.route, problem: next.problem, fetching: next.fetching };
}

function applyServer(s: DashboardState, m: ServerMessage): DashboardState {
  if (m.type === 'run-finished' || m.type === 'run-failed' || m.type === 'run-stored' || m.type === 'watch-ended') {
    // The history hears of an end at once, even while that run's record is being fetched.
    s = { ...s, runs: withRun(s.runs, m.run, 'server') };
  }
  if (CHANGES_HISTORY.has(m.type) && s.ready) s = { ...s, history: reload(s.history) };
  if (m.type === 'run-started' && s.ready) s = { ...s, history: started(s.history, m.run) };
  if (s.fetching && runIdOf(m) === s.fetching.id && m.type !== 'run-started' && m.type !== 'watch-started') {
    return { ...s, fetching: { ...s.fetching, pending: [...s.fetching.pending, m] } };
  }
  switch (m.type) {
    case 'hello':
      return hello(s, m);
    case 'run-started':
      return show({ ...s, runs: withRun(s.runs, m.run, 'server') }, emptyShown(m.run, s.runs.get(m.run.id)?.origin ?? 'server'));
    case 'samples':
      return onShown(s, m.runId, (r) => {
        const samples = appendSamples(r.samples, m.samples);
        return samples === r.samples ? r : { ...r, samples };
      });
    case 'samples-dropped':
      // This page fell behind and the server skipped samples for it: the record has them all.
      return s.shown?.info.id === m.runId ? request(s, m.runId, true) : s;
    case 'heap':
      return onShown(s, m.runId, (r) => {
        const heap = appendNewer<HeapSample>(r.heap, m.heap);
        return heap === r.heap ? r : { ...r, heap };
      });
    case 'phase':
      return onShown(s, m.runId, (r) => {
        const phases = applyPhase(r.phases, m);
        return phases === r.phases ? r : { ...r, phases };
      });
    case 'breakdown':
      return onShown(s, m.runId, (r) => (r.breakdowns.some((b) => b.phase === m.breakdown.phase) ? r : { ...r, breakdowns: [...r.breakdowns, m.breakdown] }));
    case 'run-updated':
      return onShown(s, m.run.id, (r) => ({ ...r, info: { ...r.info, ...m.run } }));
    case 'run-finished':
    case 'run-failed': {
      const next = onShown(s, m.runId, (r) => ({ ...r, info: { ...r.info, ...m.run } }));
      // A finished run with an open phase here means this page missed part of the stream.
      const missed = next.shown?.info.id === m.runId && m.run.status === 'finished' && next.shown.phases.some((p) => p.end === undefined);
      return missed ? request(next, m.runId, true) : next;
    }
    case 'queue':
      return { ...s, queue: m.runs };
    case 'run-stored':
      // It waited for space (its info said unsaved) or another process stored it: the stored info wins.
      return onShown(s, m.run.id, (r) => ({ ...r, info: m.run }));
    case 'run-deleted':
      return removed(s, m.runId);
    case 'store':
      return { ...s, unsaved: m.unsaved };
    case 'matrix':
      return { ...s, matrices: new Map(s.matrices).set(m.matrix.id, m.matrix) };
    // A watch of a running process (server/watch/, state/watch-apply.ts): listed like a run while
    // it goes and once stored; its RSS comes as `samples` and `heap` above, the rest as these.
    case 'watch-started': {
      const next = { ...s, runs: withRun(s.runs, m.run, 'server') };
      return watchTakesScreen(s) ? show(next, emptyShown(m.run, 'server')) : next;
    }
    case 'watch-breakdown':
    case 'watch-rate':
    case 'watch-cgroup':
    case 'watch-marker':
    case 'watch-probe':
      return onShown(s, m.runId, (r) => onWatchTimeline(r, m));
    case 'watch-ended':
      return onShown(s, m.runId, (r) => ({ ...r, info: { ...r.info, ...m.run } }));
    case 'pong':
      return s;
  }
}

/** The catalog kept by identity when unchanged, so the cards are not rebuilt. */
const sameCatalog = (held: DashboardState['catalog'], given: readonly Experiment[]) =>
  held && JSON.stringify(held) === JSON.stringify(given) ? held : given;

function hello(s: DashboardState, m: Extract<ServerMessage, { type: 'hello' }>): DashboardState {
  // Also after a reconnect: the server's lists are the truth; what changed meanwhile is re-read.
  // `runs` holds the live runs only, `history` the first page of the rest.
  const catalog = sameCatalog(s.catalog, m.catalog);
  const runs = new Map([...s.runs].filter(([, e]) => e.origin === 'file'));
  const known = [...m.history.runs, ...m.runs, ...m.unsaved, ...(m.watches ?? [])];
  for (const r of known) if (r.status !== 'queued') runs.set(r.id, { run: r, origin: 'server' });
  const queue = m.runs.filter((r) => r.status === 'queued').sort((a, b) => (a.queuePosition ?? 0) - (b.queuePosition ?? 0));
  let shown = s.shown;
  if (isLive(shown) && shown.origin === 'server' && !known.some((r) => r.id === shown!.info.id)) {
    // The server restarted (or was killed) while this run went: it is gone for good.
    shown = { ...shown, info: { ...shown.info, status: 'failed', error: 'lost: the server restarted while it ran' } };
  }
  const selected = new Set([...s.selected].filter((id) => runs.has(id)));
  const history = historyFromHello(s.history, m.history, m.historyError);
  // Tables are fetched again when shown: the server's list says which matrices exist.
  const matrices = new Map((m.matrices ?? []).map((x) => [x.id, x]));
  const next: DashboardState = { ...s, catalog, ready: true, runs, history, unsaved: m.unsaved, queue, shown, selected, matrices };
  const running = m.runs.find((r) => r.status === 'running');
  const target = running?.id ?? s.route ?? shown?.info.id ?? m.watches?.[0]?.id ?? m.history.runs.find((r) => r.status !== 'queued')?.id;
  return target ? request(next, target, true) : next;
}

/** The record a fetch brought, shown, with what streamed in meanwhile applied on top. */
function fetched(s: DashboardState, seq: number, record: RunRecord): DashboardState {
  // Overtaken by another fetch, or a run started (or was shown) meanwhile: that one wins.
  if (!s.fetching || s.fetching.seq !== seq) return s;
  const { id, pending, again } = s.fetching;
  let next = show(s, shownOf(record, s.runs.get(record.id)?.origin ?? 'server'));
  for (const m of pending) next = applyServer(next, m);
  // One more fetch if asked for meanwhile, unless a pending message (samples-dropped) already asked.
  return again && next.fetching?.id !== id ? request(next, id, true) : next;
}

function removed(s: DashboardState, id: string): DashboardState {
  const runs = new Map(s.runs);
  runs.delete(id);
  const selected = new Set(s.selected);
  selected.delete(id);
  let compare = s.compare;
  if (compare?.ids.includes(id)) {
    const ids = compare.ids.filter((x) => x !== id);
    compare = ids.length < 2 ? undefined : { ...compare, ids, records: compare.records?.filter((r) => r.id !== id) };
  }
  const onScreen = s.shown?.info.id === id;
  return {
    ...s, runs, selected, compare,
    shown: onScreen ? undefined : s.shown,
    shownSeq: onScreen ? s.shownSeq + 1 : s.shownSeq,
    route: s.route === id ? undefined : s.route,
    fetching: s.fetching?.id === id ? undefined : s.fetching,
  };
}

function applyLocal(s: DashboardState, e: LocalEvent): DashboardState {
  if (isWatchLocal(e)) return applyWatchLocal(s, e);
  switch (e.type) {
    case 'connection':
      return { ...s, connection: { state: e.state, detail: e.detail } };
    case 'catalog': {
      const catalog = sameCatalog(s.catalog, e.catalog);
      return catalog === s.catalog ? s : { ...s, catalog };
    }
    case 'route':
      if (e.id === s.route) return s;
      return e.id && e.id !== s.shown?.info.id ? request({ ...s, route: e.id }, e.id) : { ...s, route: e.id };
    case 'open':
      return request({ ...s, route: e.id }, e.id, e.again);
    case 'replay':
      return replayed(s, e.speed, e.message);
    case 'fetched':
      return fetched(s, e.seq, e.record);
    case 'fetch-failed': {
      if (s.fetching?.seq !== e.seq) return s;
      const problem = { id: s.fetching.id, error: e.error };
      // Another run on screen goes, so the page says what its address asks for, as a fresh load of
      // that address does (it once kept showing the old run, the 404 only in the console). A
      // failed re-fetch of the run on screen keeps it.
      if (s.shown && s.shown.info.id !== problem.id) return { ...s, fetching: undefined, problem, shown: undefined, shownSeq: s.shownSeq + 1 };
      return { ...s, fetching: undefined, problem };
    }
    case 'file-runs': {
      const runs = new Map(s.runs);
      for (const run of e.runs) runs.set(run.id, { run, origin: 'file' });
      return { ...s, runs };
    }
    case 'removed':
      return removed(s, e.id);
    case 'select': {
      if (s.selected.has(e.id) === e.on) return s;
      const selected = new Set(s.selected);
      if (e.on) selected.add(e.id);
      else selected.delete(e.id);
      return { ...s, selected };
    }
    case 'asked':
      return { ...s, mine: new Set(s.mine).add(e.id) };
    case 'compare':
      return { ...s, compare: { ids: [...e.ids] } };
    case 'compare-loaded':
      // Only for the comparison still open (the user may have closed it or picked others).
      if (!s.compare || s.compare.ids.join() !== e.ids.join()) return s;
      return { ...s, compare: { ids: s.compare.ids, records: e.records, error: e.error } };
    case 'compare-closed':
      return { ...s, compare: undefined };
    case 'notice':
      return { ...s, notice: e.text };
    case 'matrix-open':
      return { ...s, matrixShown: { id: e.id } };
    case 'matrix-loaded':
      return { ...s, matrices: new Map(s.matrices).set(e.matrix.id, e.matrix) };
    case 'matrix-failed':
      return s.matrixShown?.id === e.id ? { ...s, matrixShown: { id: e.id, error: e.error } } : s;
    case 'matrix-closed':
      return { ...s, matrixShown: undefined };
    case 'custom':
      return { ...s, custom: e.answer };
    case 'edit-code':
      return { ...s, codeDraft: { seq: (s.codeDraft?.seq ?? 0) + 1, draft: e.draft } };
  }
}

// The dashboard's state in Node, no browser: the live stream, a fetch that raced it, duplicates,
// a run lost to a restart, deletion, and a replay of a record.
import { describe, expect, it } from 'vitest';
import type { MatrixInfo } from '../../../shared/matrix.js';
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { RunInfo, RunRecord } from '../../../shared/run-record.js';
import { apply } from './apply.js';
import { initialState, isLive, shownOf, type DashboardEvent, type DashboardState } from './dashboard-state.js';
import { replayMessages } from './replay.js';
import { logToSamples } from './sample-log.js';

const T0 = 1_700_000_000_000;

/** A finished seed-strings run: 5 phases of 100 ms, a sample every ms, a heap reading every 50 ms. */
export function makeRecord(id = 'run-1', overrides: Partial<RunRecord> = {}): RunRecord {
  const names = ['baseline', 'allocate', 'unreference', 'collect', 'settle'] as const;
  const phases = names.map((name, i) => ({ name, start: T0 + 10 + i * 100, end: T0 + 10 + i * 100 + 99 }));
  const samples = Array.from({ length: 520 }, (_, i) => ({ t: T0 + i, rss: (40 + (i > 110 && i < 410 ? 80 : 0)) * 2 ** 20 }));
  const heap = Array.from({ length: 11 }, (_, i) => ({ t: T0 + i * 50, heapUsed: 5 * 2 ** 20, arrayBuffers: 0 }));
  const breakdowns = phases.map((p) => ({ t: p.end, phase: p.name, rss: 1, pss: 1, anonymous: 1, privateDirty: 1, swap: 0, brkHeap: 1, anonMappings: 1, fileMappings: 1, otherMappings: 0 }));
  return {
    id, experiment: 'seed-strings', runtime: 'node', params: { n: 1000 }, status: 'finished', createdAt: T0, endedAt: T0 + 530,
    knobs: {}, workerEnv: {}, sampleHz: 1000, sampler: 'statm', phases, samples, heap, breakdowns,
    summary: { mem0: 1, mem1: 2, mem2: 2, mem3: 2, mem4: 1, peak: 2, allocationPct: 100, unreferencePct: 0, collectPct: 0, settlePct: -100, overallPct: 100, finalPct: 0, verdict: 'released', verdictText: 'released: …' },
    ...overrides,
  };
}

const infoOf = ({ phases: _p, samples: _s, heap: _h, breakdowns: _b, ...info }: RunRecord): RunInfo => info;
const fold = (state: DashboardState, events: readonly DashboardEvent[]) => events.reduce(apply, state);
/** The server's hello: the live runs, and the rest as the history's first page. */
const hello = (runs: RunInfo[] = []): ServerMessage => {
  const ended = runs.filter((r) => r.status !== 'running' && r.status !== 'queued');
  return { type: 'hello', version: '0', catalog: [], runs: runs.filter((r) => !ended.includes(r)), history: { runs: ended, total: ended.length }, unsaved: [] };
};
/** What the view layer sees of the shown run, in plain values. */
const visible = (s: DashboardState) => s.shown && { info: s.shown.info, phases: s.shown.phases, heap: s.shown.heap, breakdowns: s.shown.breakdowns, samples: logToSamples(s.shown.samples) };

describe('apply: the live stream', () => {
  it('a replayed record gives the same run on screen as the record itself', () => {
    const record = makeRecord();
    const live = fold(apply(initialState(), hello()), replayMessages(record).map((m) => m.message));
    expect(visible(live)).toEqual(visible({ ...initialState(), shown: shownOf(record, 'server') }));
    expect(live.shown!.samples.length).toBe(520);
    expect(live.runs.get('run-1')!.run.status).toBe('finished');
  });

  it('a replay moves only the run on screen: the history keeps the stored run, stopped or played out', () => {
    const record = makeRecord();
    const stored = apply(apply(initialState(), hello([infoOf(record)])), { type: 'fetched', seq: 0, record });
    const opened = fold(stored, [{ type: 'open', id: record.id }]);
    const shownStored = fold(opened, [{ type: 'fetched', seq: opened.fetchSeq, record }]);
    const replay = replayMessages(record).map((m): DashboardEvent => ({ type: 'replay', speed: 4, message: m.message }));
    // Half way: the run on screen is a replay at 4×, running; the history and the runs' list are as stored.
    const half = fold(shownStored, replay.slice(0, replay.length / 2));
    expect(half.shown).toMatchObject({ replay: 4, info: { id: record.id, status: 'running' } });
    expect(isLive(half.shown)).toBe(false); // not a run going on: no card marked, no live controls, no "lost" on a reconnect
    expect(apply(half, hello([])).shown!.info.status).toBe('running'); // a hello without it does not call it lost
    expect(half.runs.get(record.id)!.run).toEqual(infoOf(record));
    expect(half.history).toBe(shownStored.history);
    expect(half.queue).toBe(shownStored.queue);
    // Played out: the record as it is, no longer a replay, the history untouched.
    const done = fold(half, replay.slice(replay.length / 2));
    expect(done.shown!.replay).toBeUndefined();
    expect(visible(done)).toEqual(visible(shownStored));
    expect(done.runs.get(record.id)!.run).toEqual(infoOf(record));
    expect(done.history).toBe(shownStored.history);
  });

  it('an address of an unknown run, followed while another run is shown, says so instead of keeping the old run', () => {
    const record = makeRecord();
    const opened = fold(apply(initialState(), hello([infoOf(record)])), [{ type: 'open', id: record.id }]);
    const shown = fold(opened, [{ type: 'fetched', seq: opened.fetchSeq, record }]);
    const asked = apply(shown, { type: 'route', id: 'nope-123' });
    const failed = apply(asked, { type: 'fetch-failed', seq: asked.fetchSeq, error: 'id: no run "nope-123"' });
    expect(failed.shown).toBeUndefined();
    expect(failed.shownSeq).toBe(shown.shownSeq + 1);
    expect(failed.problem).toEqual({ id: 'nope-123', error: 'id: no run "nope-123"' });
    // A re-fetch of the run on screen that fails keeps it.
    const again = apply(shown, { type: 'open', id: record.id, again: true });
    const kept = apply(again, { type: 'fetch-failed', seq: again.fetchSeq, error: 'network' });
    expect(kept.shown).toBe(shown.shown);
  });

  it('drops duplicates: samples, heap, phases and breakdowns sent twice count once', () => {
    const record = makeRecord();
    const messages = replayMessages(record).map((m) => m.message);
    const once = fold(initialState(), messages);
    const twice = fold(initialState(), messages.flatMap((m): ServerMessage[] => (m.type === 'run-started' || m.type === 'run-finished' ? [m] : [m, m])));
    expect(visible(twice)).toEqual(visible(once));
  });

  it('a fetched record plus the messages that raced it equals the live stream alone', () => {
    const record = makeRecord();
    const timed = replayMessages(record);
    const messages = timed.map((m) => m.message);
    const liveOnly = fold(apply(initialState(), hello()), messages);
    // Another page opens mid-run: the stream has reached message k when its fetch returns the record
    // up to sample 300; messages k… arrive while the fetch is in flight, some overlapping it.
    for (const k of [5, 40, messages.length - 3]) {
      const upTo = T0 + timed[k]!.at;
      const partial: RunRecord = {
        ...makeRecord(), status: 'running', summary: null, endedAt: undefined,
        samples: record.samples.filter((x) => x.t <= upTo),
        heap: record.heap.filter((x) => x.t <= upTo),
        phases: record.phases.filter((p) => p.start <= upTo).map((p) => (p.end! <= upTo ? p : { name: p.name, start: p.start })),
        breakdowns: record.breakdowns.filter((b) => b.t <= upTo),
      };
      let s = apply(initialState(), hello([{ ...infoOf(partial) }]));
      expect(s.fetching?.id).toBe('run-1'); // the running run is fetched at once
      const seq = s.fetching!.seq;
      s = fold(s, messages.slice(Math.max(1, k - 3))); // the stream races the fetch, overlapping it
      expect(s.fetching!.pending.length).toBeGreaterThan(0);
      s = apply(s, { type: 'fetched', seq, record: partial });
      expect(visible(s)).toEqual(visible(liveOnly));
      expect(s.fetching).toBeUndefined();
    }
  });

  it('a fetch that lands after another run started is dropped; the live run stays', () => {
    const old = makeRecord('old-run');
    let s = apply(initialState(), hello([infoOf(old)]));
    const seq = s.fetching!.seq;
    const started = replayMessages(makeRecord('new-run', { createdAt: T0 + 5000 }))[0]!.message;
    s = apply(s, started);
    s = apply(s, { type: 'fetched', seq, record: old });
    expect(s.shown!.info.id).toBe('new-run');
    expect(s.shown!.info.status).toBe('running');
  });

  it('re-asking for a run in flight fetches once more when it lands, not once per ask', () => {
    let s = apply(initialState(), { type: 'open', id: 'run-1' });
    const first = s.fetching!.seq;
    s = fold(s, [{ type: 'open', id: 'run-1', again: true }, { type: 'samples-dropped', runId: 'run-1', count: 1, from: T0, to: T0 }]);
    expect(s.fetching!.seq).toBe(first);
    s = apply(s, { type: 'fetched', seq: first, record: makeRecord() });
    expect(s.fetching).toMatchObject({ id: 'run-1', seq: first + 1, again: false });
  });

  it('a run lost to a server restart ends failed, and the hello re-reads the list', () => {
    const record = makeRecord();
    const messages = replayMessages(record).map((m) => m.message).slice(0, 20);
    let s = fold(apply(initialState(), hello()), messages);
    expect(s.shown!.info.status).toBe('running');
    s = apply(s, hello([infoOf(makeRecord('other'))]));
    expect(s.shown!.info).toMatchObject({ status: 'failed', error: 'lost: the server restarted while it ran' });
    expect([...s.runs.keys()]).toEqual(['other']);
  });

  it('an unknown run in the address becomes a problem naming it, not "no run yet"', () => {
    let s = apply(initialState('nope-1'), hello([infoOf(makeRecord())]));
    expect(s.fetching?.id).toBe('nope-1');
    s = apply(s, { type: 'fetch-failed', seq: s.fetching!.seq, error: 'id: no run "nope-1"' });
    expect(s.problem).toEqual({ id: 'nope-1', error: 'id: no run "nope-1"' });
    expect(s.shown).toBeUndefined();
  });
});

describe('apply: page events', () => {
  it('deleting the run on screen clears it, its selection, its address and its place in a comparison', () => {
    const a = makeRecord('a');
    let s = fold(initialState(), [hello([infoOf(a), infoOf(makeRecord('b')), infoOf(makeRecord('c'))])]);
    s = apply(s, { type: 'fetched', seq: s.fetching!.seq, record: a });
    s = fold(s, [{ type: 'route', id: 'a' }, { type: 'select', id: 'a', on: true }, { type: 'select', id: 'b', on: true }, { type: 'compare', ids: ['a', 'b', 'c'] }]);
    s = apply(s, { type: 'removed', id: 'a' });
    expect(s.shown).toBeUndefined();
    expect(s.route).toBeUndefined();
    expect([...s.selected]).toEqual(['b']);
    expect(s.compare!.ids).toEqual(['b', 'c']);
    s = apply(s, { type: 'removed', id: 'b' });
    expect(s.compare).toBeUndefined(); // one run left is no comparison
  });

  it('keeps runs from files across a hello; drops the server runs the server no longer lists', () => {
    let s = fold(initialState(), [hello([infoOf(makeRecord('gone'))]), { type: 'file-runs', runs: [infoOf(makeRecord('mine-1'))] }]);
    s = apply(s, hello([]));
    expect([...s.runs.entries()].map(([id, e]) => [id, e.origin])).toEqual([['mine-1', 'file']]);
  });

  it('the same catalog again keeps its identity (the cards are not rebuilt)', () => {
    const catalog = [{ id: 'x', runtime: 'node' as const, title: 'X', description: '', why: '', params: [], knobs: [], available: true }];
    const s1 = apply(initialState(), { ...hello(), catalog } as ServerMessage);
    const s2 = apply(s1, { ...hello(), catalog: structuredClone(catalog) } as ServerMessage);
    expect(s2.catalog).toBe(s1.catalog);
  });

  it('never changes a state it was given (older states keep their samples)', () => {
    const messages = replayMessages(makeRecord()).map((m) => m.message);
    const before = fold(initialState(), messages.slice(0, 10));
    const length = before.shown!.samples.length;
    const snapshot = JSON.stringify(visible(before));
    fold(before, messages.slice(10));
    fold(before, messages.slice(12)); // a second branch from the same state
    expect(before.shown!.samples.length).toBe(length);
    expect(JSON.stringify(visible(before))).toBe(snapshot);
  });
});

describe('apply: allocator matrices', () => {
  const info = { id: 'mx-1', experiment: 'seed-strings', runtime: 'node' as const, params: { n: 1000 }, createdAt: T0, runs: [{ setting: 'glibc', runId: 'run-1', status: 'queued' as const }], skipped: [] };
  const table = { ...info, runs: [{ ...info.runs[0]!, status: 'finished' as const }], rows: [{ setting: 'glibc', runId: 'run-1', status: 'finished' as const, kept: 0, best: true }] };

  const helloWith = (matrices: MatrixInfo[]): ServerMessage => ({ type: 'hello', version: '0', catalog: [], runs: [], history: { runs: [], total: 0 }, unsaved: [], matrices });

  it('the hello lists matrices without tables; a matrix event brings the table; a reconnect asks again', () => {
    let s = apply(initialState(), helloWith([info]));
    expect(s.matrices.get('mx-1')).toEqual(info);
    s = apply(s, { type: 'matrix-open', id: 'mx-1' });
    expect(s.matrixShown).toEqual({ id: 'mx-1' });
    s = apply(s, { type: 'matrix', matrix: table });
    expect(s.matrices.get('mx-1')).toEqual(table);
    // The server's list is the truth after a reconnect: the table is fetched again, the matrix stays open.
    s = apply(s, helloWith([info]));
    expect([s.matrices.get('mx-1'), s.matrixShown]).toEqual([info, { id: 'mx-1' }]);
  });

  it('a failed load is said for the open matrix only; closing forgets which was open', () => {
    let s = apply(apply(initialState(), hello()), { type: 'matrix-open', id: 'mx-1' });
    expect(apply(s, { type: 'matrix-failed', id: 'mx-2', error: 'gone' })).toBe(s);
    s = apply(s, { type: 'matrix-failed', id: 'mx-1', error: 'id: no matrix "mx-1"' });
    expect(s.matrixShown).toEqual({ id: 'mx-1', error: 'id: no matrix "mx-1"' });
    s = apply(s, { type: 'matrix-loaded', matrix: table });
    expect(apply(s, { type: 'matrix-closed' }).matrixShown).toBeUndefined();
  });
});

describe('apply: the history page follows the queue and the unsaved runs', () => {
  it('a queue or store message asks for the page again (it lists queued and unsaved runs and counts them)', () => {
    const ready = fold(initialState(), [hello([infoOf(makeRecord('old-1'))])]);
    expect(ready.history.loading).toBeUndefined();
    const queued: RunInfo = { ...infoOf(makeRecord('q-1')), status: 'queued', summary: null, endedAt: undefined };
    const afterQueue = apply(ready, { type: 'queue', runs: [queued] });
    expect(afterQueue.history.loading).toBe(ready.history.seq + 1);
    const unsaved: RunInfo = { ...infoOf(makeRecord('u-1')), unsaved: 'could not store run u-1: the disk is full' };
    const afterStore = apply(ready, { type: 'store', unsaved: [unsaved] });
    expect(afterStore.history.loading).toBe(ready.history.seq + 1);
  });
});

describe('apply: a run that starts is put on the history page without a fetch', () => {
  const running = (id: string): RunInfo => ({ ...infoOf(makeRecord(id)), status: 'running', summary: null, endedAt: undefined });
  it('on the first page of the default view it goes on top, counted once, and nothing is fetched until it ends', () => {
    const ready = fold(initialState(), [hello([infoOf(makeRecord('old-1')), infoOf(makeRecord('old-2'))])]);
    const before = ready.history;
    const s = apply(ready, { type: 'run-started', run: running('new-1') });
    expect(s.history.loading).toBeUndefined();
    expect(s.history.runs.map((r) => r.id)).toEqual(['new-1', ...before.runs.map((r) => r.id)]);
    expect(s.history.total).toBe(before.total + 1);
    // Started again (a reconnect's hello raced it): still one row.
    expect(apply(s, { type: 'run-started', run: running('new-1') }).history.runs.filter((r) => r.id === 'new-1')).toHaveLength(1);
    const finished = infoOf(makeRecord('new-1'));
    const ended = apply(s, { type: 'run-finished', runId: 'new-1', run: finished, summary: finished.summary! });
    expect(ended.history.loading).toBe(s.history.seq + 1);
  });
  it('in a filtered view the page is asked for again (the run may not belong there)', () => {
    const ready = fold(initialState(), [hello([infoOf(makeRecord('old-1'))])]);
    const filtered = apply(apply(ready, { type: 'history-view', view: { verdict: 'still referenced' } }), { type: 'history-loaded', seq: ready.history.seq + 1, page: { runs: [], total: 0 } });
    expect(filtered.history.loading).toBeUndefined();
    const s = apply(filtered, { type: 'run-started', run: running('new-1') });
    expect(s.history.loading).toBe(filtered.history.seq + 1);
  });
});

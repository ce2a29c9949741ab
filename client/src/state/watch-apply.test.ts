// A watch's stream through apply(), in Node: the messages the server sends (server/watch/watch.ts),
// folded into the shown record; a fetch that raced them; the verdict recomputed when a probe ends;
// the process picker's list and the probe this page asked for.
import { describe, expect, it } from 'vitest';
import type { ProcessListAnswer } from '../../../shared/protocol/http.js';
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import { runInfo, type RunInfo, type RunRecord } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import type { ProbeResult, WatchBreakdown } from '../../../shared/watch-record.js';
import { watchVerdict } from '../../../shared/watch-verdict.js';
import { apply } from './apply.js';
import { initialState, type DashboardEvent, type DashboardState } from './dashboard-state.js';
import { logToSamples } from './sample-log.js';

const T0 = 1_700_000_000_000;
const ID = 'watch-abc-123';
const fold = (state: DashboardState, events: readonly DashboardEvent[]) => events.reduce(apply, state);
/** The hello of a server holding these runs: live ones in `runs`, ended ones on the history's first page. */
const hello = (runs: RunInfo[] = [], watches: RunInfo[] = []): ServerMessage => {
  const ended = runs.filter((r) => r.status !== 'running' && r.status !== 'queued');
  return { type: 'hello', version: '0', catalog: [], runs: runs.filter((r) => !ended.includes(r)), history: { runs: ended, total: ended.length }, unsaved: [], watches };
};

const breakdown = (t: number, brk: number): WatchBreakdown => ({
  t, rss: brk + 14 * MiB, pss: 0, anonymous: 0, privateDirty: 0, swap: 0, brkHeap: brk, anonMappings: 2 * MiB, fileMappings: 10 * MiB, otherMappings: MiB,
  arenaHeaps: 0, stacks: MiB, mappings: 120, readMs: 1.5,
});
const trimStart: ProbeResult = { id: 1, kind: 'trim', method: 'gdb', status: 'running', start: T0 + 1000, before: { t: T0 + 990, rss: 215 * MiB, breakdown: breakdown(T0 + 990, 200 * MiB) } };
const trimDone: ProbeResult = {
  ...trimStart, status: 'done', end: T0 + 1300, after: { t: T0 + 2300, rss: 14 * MiB, breakdown: breakdown(T0 + 2300, MiB) },
  returned: 201 * MiB, pausedMs: 291, result: 'malloc_trim(0) returned 1: memory was released',
};

/** A live watch of a CPython process, as watch-started announces it. */
const started: RunInfo = {
  id: ID, kind: 'watch', experiment: 'watch', runtime: 'python', params: { pid: 4242 }, status: 'running', createdAt: T0, pid: 4242,
  knobs: {}, workerEnv: {}, sampleHz: 1000, sampler: 'statm', summary: null,
  watch: {
    target: { pid: 4242, ppid: 1, uid: 1000, comm: 'python3', command: 'python3 victim.py', runtime: 'python', runtimeVersion: '3.11', allocator: 'glibc', starttime: 99 },
    gdbProbes: { allowed: true }, durationS: 600,
  },
};
const samplesUntil = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ t: T0 + from + i, rss: (from + i < 1300 ? 215 : 14) * MiB }));

/** The stream of one watch: RSS, a breakdown, a rate, the cgroup, a marker, a trim (start and end), the end. */
function stream(): ServerMessage[] {
  const ended = { ...started, status: 'finished' as const, endedAt: T0 + 3000, watch: { ...started.watch!, endReason: 'stopped by the user', verdict: watchVerdict([trimDone], samplesUntil(0, 3000))! } };
  return [
    { type: 'watch-started', run: started },
    { type: 'samples', runId: ID, samples: samplesUntil(0, 500) },
    { type: 'watch-rate', runId: ID, rate: { t: T0 + 10, intervalMs: 500, readMs: 1.5 } },
    { type: 'watch-breakdown', runId: ID, breakdown: breakdown(T0 + 20, 200 * MiB) },
    { type: 'watch-cgroup', runId: ID, cgroup: { t: T0 + 20, version: 2, usage: 900 * MiB, limit: 2048 * MiB, anon: 600 * MiB, file: 300 * MiB } },
    { type: 'watch-marker', runId: ID, marker: { t: T0 + 600, label: 'deploy' } },
    { type: 'samples', runId: ID, samples: samplesUntil(500, 1000) },
    { type: 'watch-probe', runId: ID, probe: trimStart },
    { type: 'samples', runId: ID, samples: samplesUntil(1000, 2400) },
    { type: 'watch-probe', runId: ID, probe: trimDone },
    { type: 'watch-breakdown', runId: ID, breakdown: breakdown(T0 + 2400, MiB) },
    { type: 'samples', runId: ID, samples: samplesUntil(2400, 3000) },
    { type: 'watch-ended', runId: ID, run: ended },
  ];
}

const visible = (s: DashboardState) => s.shown && { info: s.shown.info, watch: s.shown.watch, samples: logToSamples(s.shown.samples) };

describe('apply: a watch streamed live', () => {
  it('fills the shown watch from its stream; the probe end brings the verdict; the end lists it', () => {
    const messages = stream();
    let s = fold(apply(initialState(), hello()), messages.slice(0, 7));
    expect(s.shown!.info).toMatchObject({ id: ID, kind: 'watch', status: 'running' });
    expect(s.runs.get(ID)!.run.status).toBe('running'); // listed while it goes
    expect(s.shown!.watch).toEqual({
      markers: [{ t: T0 + 600, label: 'deploy' }], probes: [], breakdowns: [breakdown(T0 + 20, 200 * MiB)],
      cgroup: [expect.objectContaining({ usage: 900 * MiB, limit: 2048 * MiB })], smapsRates: [{ t: T0 + 10, intervalMs: 500, readMs: 1.5 }],
    });
    s = fold(s, messages.slice(7, 9));
    expect(s.shown!.watch!.probes).toEqual([trimStart]);
    expect(s.shown!.info.watch!.verdict).toBeUndefined(); // nothing to say before a probe ended
    s = apply(s, messages[9]!);
    expect(s.shown!.watch!.probes).toEqual([trimDone]);
    expect(s.shown!.info.watch!.verdict).toMatchObject({ verdict: 'retained by allocator', trimReturned: 201 * MiB, stayed: 14 * MiB });
    expect(s.shown!.info.watch!.verdict!.text).toMatch(/^The allocator was holding it: malloc_trim returned 201\.0 MiB \(93 % of RSS\), most of it in glibc's brk heap/);
    s = fold(s, messages.slice(10));
    expect(s.shown!.info).toMatchObject({ status: 'finished', watch: { endReason: 'stopped by the user', verdict: { verdict: 'retained by allocator' } } });
    expect(s.runs.get(ID)!.run.status).toBe('finished');
    expect(s.shown!.samples.length).toBe(3000);
  });

  it('drops duplicates: every timeline message sent twice counts once; a stale "running" never undoes an end', () => {
    const messages = stream();
    const once = fold(initialState(), messages);
    const twice = fold(initialState(), messages.flatMap((m): ServerMessage[] => (m.type === 'watch-started' ? [m] : [m, m])));
    expect(visible(twice)).toEqual(visible(once));
    expect(apply(once, { type: 'watch-probe', runId: ID, probe: trimStart }).shown!.watch!.probes).toEqual([trimDone]);
  });

  it('a fetched record of the live watch plus the messages that raced it equals the stream alone', () => {
    const messages = stream();
    const liveOnly = fold(initialState(), messages);
    // Another page opens mid-watch: the record (GET /api/watches/:id) has the stream up to message 8.
    const record: RunRecord = {
      ...started, phases: [], heap: [], breakdowns: [], samples: samplesUntil(0, 1000),
      watchTimeline: { markers: [{ t: T0 + 600, label: 'deploy' }], probes: [trimStart], breakdowns: [breakdown(T0 + 20, 200 * MiB)], cgroup: [(stream()[4] as Extract<ServerMessage, { type: 'watch-cgroup' }>).cgroup], smapsRates: [{ t: T0 + 10, intervalMs: 500, readMs: 1.5 }] },
    };
    let s = apply(initialState(), hello([], [runInfo(record)]));
    expect(s.fetching?.id).toBe(ID);
    const seq = s.fetching!.seq;
    s = fold(s, messages.slice(4)); // from the cgroup reading on: overlaps the record
    s = apply(s, { type: 'fetched', seq, record });
    expect(visible(s)).toEqual(visible(liveOnly));
  });

  it('a watch that starts does not push a running run off the screen; a live watch is not lost at a reconnect', () => {
    const run: RunInfo = { ...started, id: 'run-1', kind: undefined, experiment: 'seed-strings', runtime: 'node', params: { n: 1 }, watch: undefined };
    let s = fold(initialState(), [hello([run]), { type: 'run-started', run }]);
    s = apply(s, stream()[0]!);
    expect(s.shown!.info.id).toBe('run-1');
    expect(s.runs.get(ID)!.run.kind).toBe('watch');

    let w = fold(initialState(), stream().slice(0, 3));
    w = apply(w, hello([], [started]));
    expect(w.shown!.info.status).toBe('running'); // still going on the server: not "lost"
    w = apply(w, hello([], []));
    expect(w.shown!.info).toMatchObject({ status: 'failed', error: 'lost: the server restarted while it ran' });
  });
});

describe('apply: the process picker and the probe asked for', () => {
  const answer: ProcessListAnswer = {
    processes: [{ pid: 4242, ppid: 1, uid: 1000, comm: 'python3', command: 'python3 victim.py', rss: 215 * MiB, runtime: 'python', allocator: 'glibc' }],
    uid: 1000, scope: 'your processes (uid 1000)', gdbProbes: { allowed: true }, inspectorProbes: { allowed: true },
  };

  it('opening asks for the list; an answer to an older ask is dropped; a refresh while loading asks once', () => {
    let s = apply(initialState(), { type: 'processes-open', open: true });
    expect(s.processes).toEqual({ open: true, seq: 1, loading: true });
    expect(apply(s, { type: 'processes-refresh' })).toBe(s);
    s = apply(s, { type: 'processes-loaded', seq: 1, answer });
    expect(s.processes).toEqual({ open: true, seq: 1, loading: false, answer });
    s = apply(s, { type: 'processes-refresh' });
    expect(apply(s, { type: 'processes-loaded', seq: 1, answer: { ...answer, processes: [] } }).processes.answer).toBe(answer);
    s = apply(s, { type: 'processes-failed', seq: 2, error: 'connection refused' });
    expect(s.processes).toMatchObject({ loading: false, error: 'connection refused', answer });
    s = apply(s, { type: 'processes-open', open: false });
    expect(apply(s, { type: 'processes-open', open: true }).processes).toMatchObject({ open: true, seq: 3, loading: true });
  });

  it('a probe asked for waits until answered; a refusal is kept for that watch and kind only', () => {
    let s = apply(initialState(), { type: 'probe-asked', id: ID, kind: 'trim' });
    expect(s.probeAsk).toEqual({ id: ID, kind: 'trim', pending: true });
    expect(apply(s, { type: 'probe-answered', id: ID, kind: 'gc', error: 'x' })).toBe(s);
    s = apply(s, { type: 'probe-answered', id: ID, kind: 'trim', error: 'trim: pid 4242 allocates with jemalloc' });
    expect(s.probeAsk).toEqual({ id: ID, kind: 'trim', pending: false, error: 'trim: pid 4242 allocates with jemalloc' });
  });
});

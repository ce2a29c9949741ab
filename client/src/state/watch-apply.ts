// The watch half of apply(): a watch's stream folded into the shown record's timeline, the process
// picker's list, and the probe this page asked for. Pure like apply() (no I/O, no clock); apply.ts
// wires these in. A fetched record and the stream overlap (the fetch-merge), so every append here
// drops what the timeline already holds.
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { Sample } from '../../../shared/run-record.js';
import type { ProbeResult, WatchTimeline } from '../../../shared/watch-record.js';
import { watchVerdict } from '../../../shared/watch-verdict.js';
import { emptyTimeline, isLive, type DashboardState, type LocalEvent, type ShownRun } from './dashboard-state.js';
import type { SampleLog } from './sample-log.js';

export type WatchStreamMessage = Extract<ServerMessage, { type: 'watch-breakdown' | 'watch-rate' | 'watch-cgroup' | 'watch-marker' | 'watch-probe' }>;
export type WatchLocalEvent = Extract<LocalEvent, { type: 'processes-open' | 'processes-refresh' | 'processes-loaded' | 'processes-failed' | 'probe-asked' | 'probe-answered' }>;

export const WATCH_LOCAL_TYPES: readonly WatchLocalEvent['type'][] = ['processes-open', 'processes-refresh', 'processes-loaded', 'processes-failed', 'probe-asked', 'probe-answered'];

/** Items newer than the last one held (readings come in time order). */
function newer<T extends { t: number }>(into: T[], item: T): T[] {
  return item.t > (into.at(-1)?.t ?? -Infinity) ? [...into, item] : into;
}

/** A probe's newer state: its end replaces its start, never the other way (a stale 'running' that waited behind a fetch). */
function withProbe(probes: ProbeResult[], probe: ProbeResult): ProbeResult[] {
  const at = probes.findIndex((p) => p.id === probe.id);
  if (at < 0) return [...probes, probe];
  if (probes[at]!.status !== 'running' && probe.status === 'running') return probes;
  return probes.map((p, i) => (i === at ? probe : p));
}

/** The samples from `t` on, as the verdict reads them (only what follows a probe matters to it). */
function samplesFrom(log: SampleLog, t: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < log.length; i++) if (log.xs[i]! >= t) out.push({ t: log.xs[i]!, rss: log.ys[i]! });
  return out;
}

/** The shown watch with one more reading, marker or probe state; the same object when nothing is new. */
export function onWatchTimeline(shown: ShownRun, m: WatchStreamMessage): ShownRun {
  const timeline = shown.watch ?? emptyTimeline();
  let next: WatchTimeline = timeline;
  switch (m.type) {
    case 'watch-breakdown':
      next = { ...timeline, breakdowns: newer(timeline.breakdowns, m.breakdown) };
      break;
    case 'watch-rate':
      next = { ...timeline, smapsRates: newer(timeline.smapsRates, m.rate) };
      break;
    case 'watch-cgroup':
      next = { ...timeline, cgroup: newer(timeline.cgroup, m.cgroup) };
      break;
    case 'watch-marker':
      if (!timeline.markers.some((x) => x.t === m.marker.t && x.label === m.marker.label)) next = { ...timeline, markers: [...timeline.markers, m.marker] };
      break;
    case 'watch-probe':
      next = { ...timeline, probes: withProbe(timeline.probes, m.probe) };
      break;
  }
  if (next === timeline || Object.entries(next).every(([k, v]) => v === timeline[k as keyof WatchTimeline])) return shown;
  if (m.type !== 'watch-probe' || m.probe.status === 'running' || !shown.info.watch) return { ...shown, watch: next };
  // The server keeps the verdict in the record and sends it with watch-ended; the probe's own
  // message does not carry it, so it is recomputed here by the same shared rules.
  const first = Math.min(...next.probes.map((p) => p.start));
  const verdict = watchVerdict(next.probes, samplesFrom(shown.samples, first));
  const { verdict: _old, ...rest } = shown.info.watch;
  return { ...shown, watch: next, info: { ...shown.info, watch: { ...rest, ...(verdict && { verdict }) } } };
}

/** A watch that starts takes the screen unless a run or another watch is going on there. */
export const watchTakesScreen = (s: DashboardState): boolean => !isLive(s.shown);

export function applyWatchLocal(s: DashboardState, e: WatchLocalEvent): DashboardState {
  const picker = s.processes;
  switch (e.type) {
    case 'processes-open':
      // Opening asks for the list (again: processes come and go while the picker is closed).
      if (e.open === picker.open) return s;
      return { ...s, processes: e.open ? { ...picker, open: true, seq: picker.seq + 1, loading: true } : { ...picker, open: false } };
    case 'processes-refresh':
      return picker.loading ? s : { ...s, processes: { ...picker, seq: picker.seq + 1, loading: true } };
    case 'processes-loaded':
      return e.seq === picker.seq ? { ...s, processes: { open: picker.open, seq: picker.seq, loading: false, answer: e.answer } } : s;
    case 'processes-failed':
      return e.seq === picker.seq ? { ...s, processes: { ...picker, loading: false, error: e.error } } : s;
    case 'probe-asked':
      return { ...s, probeAsk: { id: e.id, kind: e.kind, pending: true } };
    case 'probe-answered':
      if (s.probeAsk?.id !== e.id || s.probeAsk.kind !== e.kind) return s;
      return { ...s, probeAsk: { id: e.id, kind: e.kind, pending: false, ...(e.error !== undefined && { error: e.error }) } };
  }
}

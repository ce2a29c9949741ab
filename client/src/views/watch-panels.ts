// The watch view's words: which process is watched, what its cgroup and the breakdown's rate are
// now, the verdict (in the words of runs, shared/watch-verdict.ts), and a probe that went wrong said
// where it cannot be missed. All text: a command line is the target's to choose, and stays text.
import type { RunInfo } from '../../../shared/run-record.js';
import type { ProbeResult, WatchTimeline } from '../../../shared/watch-record.js';
import { el } from '../dom.js';
import { formatMiB, formatSignedMiB } from '../format.js';
import { PROBE_NAMES } from './probe-rules.js';

const RUNTIME_NAMES = { node: 'Node', python: 'CPython', other: 'not Node or CPython' } as const;

/** "watch pid 4242 (python3)": how history rows, titles and the comparison name a watch. */
export const watchName = (info: Pick<RunInfo, 'params' | 'watch'>): string =>
  `watch pid ${info.watch?.target.pid ?? info.params.pid ?? '?'}${info.watch ? ` (${info.watch.target.comm})` : ''}`;

/** pid, command, runtime, allocator, cgroup, user: the target as the watch found it. */
export function targetLine(info: RunInfo): HTMLElement[] {
  const t = info.watch?.target;
  if (!t) return [el('span', {}, `pid ${info.params.pid ?? '?'}`)];
  const part = (label: string, value: string, key: string) => el('span', { className: 'target-part', dataset: { part: key } }, el('small', {}, label), ' ', value);
  return [
    part('pid', String(t.pid), 'pid'),
    part('runtime', `${RUNTIME_NAMES[t.runtime]}${t.runtimeVersion ? ` ${t.runtimeVersion}` : ''}`, 'runtime'),
    part('allocator', t.allocator, 'allocator'),
    part('cgroup', t.cgroup ? `v${t.cgroup.version} ${t.cgroup.dir}` : 'not readable', 'cgroup'),
    part('user', t.user ?? String(t.uid), 'user'),
    part('gdb probes', info.watch!.gdbProbes.allowed ? 'allowed' : `off: ${info.watch!.gdbProbes.reason ?? ''}`, 'gdb'),
    el('code', { className: 'target-command', title: t.command, dataset: { part: 'command' } }, t.command),
  ];
}

/** The cgroup's latest figures (what an OOM killer and `docker stats` see) and the breakdown's rate now. */
export function readingsLine(timeline: WatchTimeline): HTMLElement[] {
  const cg = timeline.cgroup.at(-1);
  const rate = timeline.smapsRates.at(-1);
  return [
    el('span', { dataset: { reading: 'cgroup' } }, cg
      ? `cgroup (v${cg.version}): ${formatMiB(cg.usage)} used${cg.limit === undefined ? ', no limit' : ` of ${formatMiB(cg.limit)} limit (${Math.round((100 * cg.usage) / cg.limit)} %)`} · anon ${formatMiB(cg.anon)}, file ${formatMiB(cg.file)}`
      : 'cgroup: no readings (not readable, or none yet)'),
    el('span', { dataset: { reading: 'rate' } }, rate
      ? `breakdown every ${rate.intervalMs < 10_000 ? `${Math.round(rate.intervalMs)} ms` : `${(rate.intervalMs / 1000).toFixed(1)} s`} (a read of smaps costs ${rate.readMs.toFixed(1)} ms; the rate follows that cost)`
      : 'breakdown: first read pending'),
  ];
}

/** The verdict in a run's words, the figures it rests on, or why there is none yet. */
export function verdictPanel(info: RunInfo, live: boolean): HTMLElement[] {
  const v = info.watch?.verdict;
  if (!v) {
    return [el('p', { className: 'verdict', dataset: { verdict: 'none' } }, el('b', {}, 'no verdict yet'), live
      ? ' — from outside, memory the allocator keeps and live data look the same: run GC and trim to tell them apart.'
      : ' — this watch ran no probe that finished, and from outside freed-but-kept memory and live data look the same.')];
  }
  const figures: [string, string][] = [];
  if (v.gcReturned !== undefined) figures.push(['GC returned', formatMiB(Math.max(0, v.gcReturned))]);
  if (v.trimReturned !== undefined) figures.push(['malloc_trim returned', formatMiB(Math.max(0, v.trimReturned))]);
  if (v.referenced !== undefined) figures.push(['the heap still holds (after GC)', formatMiB(v.referenced)]);
  if (v.stayed !== undefined) figures.push(['RSS after the last probe', formatMiB(v.stayed)]);
  if (v.refaultBytesPerS !== undefined) figures.push(['RSS climbing back after the trim', `${formatSignedMiB(v.refaultBytesPerS)}/s`]);
  return [
    el('p', { className: 'verdict', dataset: { verdict: v.verdict } }, el('b', {}, v.verdict), ` — ${v.text}`),
    el('table', { className: 'watch-figures', ariaLabel: 'What the verdict rests on' },
      el('tbody', {}, ...figures.map(([k, x]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, x))))),
  ];
}

/** A probe that failed or was cut off, first and loud: an aborted gdb call may have left a lock held. */
export function probeAlerts(probes: readonly ProbeResult[]): HTMLElement[] {
  return probes.filter((p) => p.status === 'failed' || p.status === 'aborted').map((p) =>
    el('p', { className: `probe-alert${p.targetAtRisk ? ' at-risk' : ''}`, role: 'alert', dataset: { probeId: String(p.id) } },
      el('b', {}, `${PROBE_NAMES[p.kind]} ${p.status}`), `: ${p.error ?? 'no reason given'}`,
      p.targetAtRisk ? el('strong', {}, ' The target may be at risk: the call was interrupted inside it, and a lock it held (malloc\'s, the GIL) may stay held. Check that the process still works.') : ''));
}

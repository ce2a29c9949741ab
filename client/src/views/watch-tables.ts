// A watch's timeline as text: the markers and probes in the order they happened (the labels the
// chart draws, readable by screen readers and tests), every probe with its figures, and the charts'
// readings as tables (the breakdown over time, the cgroup, the breakdown's rate).
import type { ProbeResult, WatchBreakdown, WatchTimeline } from '../../../shared/watch-record.js';
import { el } from '../dom.js';
import { formatMiB, formatSignedMiB } from '../format.js';
import { PARTS } from './breakdown-view.js';
import type { PART_COLORS } from './chart-theme.js';
import { probeLabel, PROBE_NAMES } from './probe-rules.js';

type WatchPart = { key: keyof typeof PART_COLORS & keyof WatchBreakdown; label: string };

/** A run's parts (breakdown-view.ts), with the stacks a watch takes out of "stack and other"; they add up to RSS. */
export const WATCH_PARTS: readonly WatchPart[] = PARTS.flatMap((p): WatchPart[] => (p.key === 'otherMappings'
  ? [{ key: 'stacks', label: 'stacks' }, { key: 'otherMappings', label: 'other' }]
  : [p]));

const seconds = (t: number, t0: number) => `${((t - t0) / 1000).toFixed(1)} s`;

/** Markers and probes in time order, as the chart labels them. */
export function eventsList(timeline: WatchTimeline, t0: number): HTMLElement[] {
  const items = [
    ...timeline.markers.map((m) => ({ t: m.t, text: `marker: ${m.label}`, data: { marker: m.label } })),
    ...timeline.probes.map((p) => ({ t: p.start, text: probeLabel(p), data: { probeId: String(p.id), kind: p.kind, status: p.status } })),
  ].sort((a, b) => a.t - b.t);
  return items.map((i) => el('li', { dataset: i.data }, el('small', {}, seconds(i.t, t0)), ' ', i.text));
}

function probeRow(p: ProbeResult, t0: number): HTMLElement {
  const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : formatMiB(bytes));
  return el('tr', { dataset: { probeId: String(p.id), kind: p.kind, status: p.status } },
    el('th', { scope: 'row' }, `${p.id}. ${PROBE_NAMES[p.kind]}`),
    el('td', {}, p.method),
    el('td', {}, p.status),
    el('td', {}, seconds(p.start, t0)),
    el('td', {}, p.pausedMs === undefined ? '—' : `${Math.round(p.pausedMs)} ms`),
    el('td', {}, mib(p.before.rss)),
    el('td', {}, mib(p.after?.rss)),
    el('td', {}, p.returned === undefined ? '—' : formatSignedMiB(-p.returned)),
    el('td', {}, mib(p.before.breakdown?.brkHeap), ' → ', mib(p.after?.breakdown?.brkHeap)),
    el('td', { className: 'probe-result' }, p.result ?? p.error ?? (p.status === 'running' ? 'running…' : '')));
}

/** Every probe with what it did: RSS and the brk heap before and 1 s after, the pause, the call's answer. */
export function probeTable(probes: readonly ProbeResult[], t0: number): HTMLElement {
  if (probes.length === 0) return el('p', { className: 'note' }, 'No probe yet.');
  const heads = ['probe', 'how', 'status', 'at', 'target stopped', 'RSS before', 'RSS 1 s after', 'RSS change', 'brk heap before → after', 'what the call answered'];
  return el('table', { className: 'probe-table', ariaLabel: 'Probes' },
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...probes.map((p) => probeRow(p, t0))));
}

/** The charts as text: the breakdown at each read (with RSS then), the cgroup readings, the rate changes. */
export function watchDataTables(timeline: WatchTimeline, t0: number): HTMLElement[] {
  const table = (label: string, heads: readonly string[], rows: readonly (readonly string[])[]) =>
    el('table', { className: 'data-table', ariaLabel: label },
      el('caption', {}, label),
      el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows.map(([first, ...rest]) => el('tr', {}, el('th', { scope: 'row' }, first!), ...rest.map((c) => el('td', {}, c))))));
  return [
    table('Where the memory is, at each read of smaps', ['at', 'RSS', ...WATCH_PARTS.map((p) => p.label), 'read took'],
      timeline.breakdowns.map((b) => [seconds(b.t, t0), formatMiB(b.rss), ...WATCH_PARTS.map((p) => formatMiB(b[p.key])), `${b.readMs.toFixed(1)} ms`])),
    table('The memory cgroup', ['at', 'usage', 'limit', 'anon', 'file'],
      timeline.cgroup.map((c) => [seconds(c.t, t0), formatMiB(c.usage), c.limit === undefined ? 'none' : formatMiB(c.limit), formatMiB(c.anon), formatMiB(c.file)])),
    table('How often smaps was read', ['from', 'every', 'a read cost'],
      timeline.smapsRates.map((r) => [seconds(r.t, t0), `${Math.round(r.intervalMs)} ms`, `${r.readMs.toFixed(1)} ms`])),
  ];
}

// The charts as text for screen readers and keyboards: one row per phase with its times, RSS and
// the runtime's heap at its end, and where the memory was (the breakdown's parts); then the bars by
// owner — the accounting the verdict reads — one row per phase end, with the chart's live marker.
import type { PhaseAccounting } from '../../../shared/run-record.js';
import { heapLevel, nearestAtOrBefore } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatMiB, formatSignedMiB } from '../format.js';
import type { ShownRun } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { accountingBars, accountingOf, liveMarks } from './accounting-bars.js';
import { PARTS } from './breakdown-view.js';
import { LIVE_MARKS_LABEL } from './chart-series.js';
import { indexAtOrBefore } from './series-buffer.js';

export function chartDataTableView(container: HTMLElement, store: Store): void {
  const view = store.select((s) => (s.shown && s.shown.info.status !== 'running' ? s.shown : undefined));
  watch(() => {
    const shown = view.value;
    container.replaceChildren(...(shown ? [dataTable(shown), ...accountingTable(shown)] : [el('p', { className: 'note' }, 'The table of the chart appears when the run has ended.')]));
  });
}

export function dataTable({ info, phases, heap, breakdowns, samples }: ShownRun): HTMLElement {
  const s = (t: number | undefined) => (t === undefined ? '—' : ((t - info.createdAt) / 1000).toFixed(3));
  const rssAt = (t: number | undefined) => {
    const k = t === undefined ? -1 : indexAtOrBefore(samples, t);
    return k < 0 ? '—' : formatMiB(samples.ys[k]!);
  };
  const heapAt = (t: number | undefined) => {
    const h = t === undefined ? undefined : nearestAtOrBefore(heap, t);
    const level = h && heapLevel(h);
    return !level ? '—' : level.unit === 'bytes' ? formatMiB(level.level) : `${level.level.toLocaleString()} blocks`;
  };
  const rows = phases.map((p) => {
    const b = breakdowns.find((x) => x.phase === p.name);
    return el('tr', { dataset: { phase: p.name } },
      el('th', { scope: 'row' }, p.name), el('td', {}, s(p.start)), el('td', {}, s(p.end)), el('td', {}, rssAt(p.end)), el('td', {}, heapAt(p.end)),
      ...PARTS.map((part) => el('td', {}, b ? formatMiB(b[part.key] ?? 0) : '—')));
  });
  const heads = ['phase', 'start s', 'end s', 'RSS at end', 'runtime heap (Node) or allocated blocks (CPython) at end', ...PARTS.map((p) => `${p.label} (by mapping)`)];
  return el('table', { className: 'data-table', ariaLabel: 'Chart data by phase' },
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows));
}

/** The bars by owner, segment by segment, as the chart draws them (accounting-bars.ts). */
export function accountingTable(shown: ShownRun): HTMLElement[] {
  const accounting: readonly PhaseAccounting[] = accountingOf(shown);
  if (accounting.length === 0) return [];
  const bars = accountingBars(accounting, shown.info.runtime);
  const marks = liveMarks(shown, accounting);
  return [el('table', { className: 'data-table', ariaLabel: 'Bars by owner, by phase end' },
    el('caption', {}, 'RSS above baseline by owner at each phase end, as the bars draw it (change since the end of baseline)'),
    el('thead', {}, el('tr', {}, ...['phase end', 'RSS above baseline', ...bars.segments.map((seg) => seg.label), `chart marker: ${LIVE_MARKS_LABEL}`].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...bars.phases.map((phase, i) => {
      const mark = marks.find((m) => m.phase === phase);
      return el('tr', { dataset: { phase } },
        el('th', { scope: 'row' }, phase), el('td', { dataset: { part: 'rss' } }, formatSignedMiB(bars.rss[i]!)),
        ...bars.segments.map((seg) => el('td', { dataset: { part: seg.key, bytes: String(seg.values[i]) } }, formatSignedMiB(seg.values[i]!))),
        el('td', { dataset: { part: 'marker' } }, mark ? formatMiB(mark.level) : '—'));
    })))];
}

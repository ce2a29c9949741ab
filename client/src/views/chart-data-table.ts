// The charts as text for screen readers and keyboards: one row per phase with its times, RSS and
// the runtime's heap at its end, and where the memory was (the breakdown's parts).
import { heapLevel, nearestAtOrBefore } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatMiB } from '../format.js';
import type { ShownRun } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { PARTS } from './breakdown-view.js';
import { indexAtOrBefore } from './series-buffer.js';

export function chartDataTableView(container: HTMLElement, store: Store): void {
  const view = store.select((s) => (s.shown && s.shown.info.status !== 'running' ? s.shown : undefined));
  watch(() => {
    const shown = view.value;
    container.replaceChildren(shown ? dataTable(shown) : el('p', { className: 'note' }, 'The table of the chart appears when the run has ended.'));
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
      ...PARTS.map((part) => el('td', {}, b ? formatMiB(b[part.key]) : '—')));
  });
  return el('table', { className: 'data-table', ariaLabel: 'Chart data by phase' },
    el('thead', {}, el('tr', {}, ...['phase', 'start s', 'end s', 'RSS at end', 'heap the verdict reads', ...PARTS.map((p) => p.label)].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows));
}

// The seed's table for a finished run: each step as % of baseline RSS and in MiB, then the verdict
// and why. Rows come from shared/summary.ts summaryRows(), so a row added there appears here.
import type { HeapSample, Phase, RunInfo } from '../../../shared/run-record.js';
import { summaryRows } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatPct, formatSignedMiB } from '../format.js';
import { renderEvidence } from './evidence-view.js';
import { watch, type Store } from '../state/store.js';

export function summaryView(container: HTMLElement, store: Store): void {
  // Only an ended run has a table: while one runs, its 10 ms batches do not re-render this.
  const view = store.select((s) => {
    const shown = s.shown;
    if (!shown || shown.info.status === 'running' || shown.info.status === 'queued') return undefined;
    return { info: shown.info, heap: shown.heap, phases: shown.phases };
  });
  watch(() => {
    const v = view.value;
    container.replaceChildren(...(v ? renderSummary(v.info, v.heap, v.phases) : []));
  });
}

export function renderSummary(run: RunInfo, heap: readonly HeapSample[], phases: readonly Phase[]): HTMLElement[] {
  if (run.status !== 'finished' || !run.summary) return run.error ? [el('p', { className: 'failure' }, `Run ${run.status}: ${run.error}`)] : [];
  const s = run.summary;
  const table = el('table', { ariaLabel: 'Summary' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Step'), el('th', { scope: 'col' }, '% of baseline RSS'), el('th', { scope: 'col' }, 'MiB'))),
    el('tbody', {}, ...summaryRows(s).map((r) =>
      el('tr', { className: r.total ? 'seed-total' : '', dataset: { row: r.label } }, el('td', {}, r.label), el('td', {}, formatPct(r.pct)), el('td', {}, formatSignedMiB(r.bytes))))),
  );
  const verdict = el('p', { className: 'verdict', dataset: { verdict: s.verdict } }, el('b', {}, s.verdict), ` — ${s.verdictText.replace(/^[^:]*:\s*/, '')}`);
  return [table, verdict, ...renderEvidence(s), ...(run.runtime === 'python' ? inProcessTable(heap, phases) : [])];
}

const na = (value: number | undefined) => (value === undefined ? 'n/a' : value.toLocaleString());

/** CPython's own figures at each phase end: what pymalloc holds next to what RSS says. */
function inProcessTable(heap: readonly HeapSample[], phases: readonly Phase[]): HTMLElement[] {
  const rows = phases.flatMap((p) => {
    const h = heap.find((x) => x.t === p.end && x.phase === p.name);
    if (!h) return [];
    return [el('tr', { dataset: { phase: p.name } }, el('td', {}, p.name), el('td', {}, na(h.allocatedBlocks)), el('td', {}, na(h.arenasInUse)),
      el('td', {}, na(h.arenasAllocatedTotal)), el('td', {}, h.gcCount ? h.gcCount.join(' / ') : 'n/a'))];
  });
  return [
    el('table', { className: 'inproc', ariaLabel: 'CPython figures' },
      el('thead', {}, el('tr', {}, ...['Phase end', 'allocated blocks', 'arenas in use', 'arenas ever', 'gc.get_count()'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows)),
    el('p', { className: 'note' }, 'From inside the worker: sys.getallocatedblocks(), pymalloc arenas (1 MiB each on 64-bit, from sys._debugmallocstats()), gc.get_count(). ' +
      'n/a: not reported (PYTHONMALLOC=malloc has no pymalloc arenas or block count).'),
  ];
}

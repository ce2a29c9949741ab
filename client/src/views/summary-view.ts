// The seed's table for a finished run: each step as % of baseline RSS and in MiB, then the verdict,
// the data it judged, and why. Rows come from shared/summary.ts summaryRows(), so a row added there
// appears here. The Collect row says how long collect waited for the runtime to free (Node).
import type { HeapSample, Phase, RunInfo, Summary } from '../../../shared/run-record.js';
import { summaryRows } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatMiB, formatPct, formatSignedMiB } from '../format.js';
import type { Actions } from '../controller.js';
import { renderEvidence, type Rerun } from './evidence-view.js';
import { needsRecord, remedyRequest } from './remedy-request.js';
import { watch, type Store } from '../state/store.js';

/** `actions` start the remedies' runs; a page that cannot start runs (a report) has no start. */
export function summaryView(container: HTMLElement, store: Store, actions: Pick<Actions, 'start' | 'load'>): void {
  const { start, load } = actions;
  const rerun: Rerun | undefined = start && (async (run, remedy) => start(remedyRequest(needsRecord(run) ? await load(run.id) : run, remedy)));
  // Only an ended run has a table: while one runs, its 10 ms batches do not re-render this.
  const view = store.select((s) => {
    const shown = s.shown;
    if (!shown || shown.info.status === 'running' || shown.info.status === 'queued') return undefined;
    return { info: shown.info, heap: shown.heap, phases: shown.phases };
  });
  watch(() => {
    const v = view.value;
    container.replaceChildren(...(v ? renderSummary(v.info, v.heap, v.phases, rerun) : []));
  });
}

export function renderSummary(run: RunInfo, heap: readonly HeapSample[], phases: readonly Phase[], rerun?: Rerun): HTMLElement[] {
  if (run.status !== 'finished' || !run.summary) return run.error ? [el('p', { className: 'failure' }, `Run ${run.status}: ${run.error}`)] : [];
  const s = run.summary;
  const table = el('table', { ariaLabel: 'Summary' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Step'), el('th', { scope: 'col' }, '% of baseline RSS'), el('th', { scope: 'col' }, 'MiB'))),
    el('tbody', {}, ...summaryRows(s).map((r) =>
      el('tr', { className: r.total ? 'seed-total' : '', dataset: { row: r.label } }, el('td', {}, r.label, r.label === 'Collect' ? releaseWait(s) : ''), el('td', {}, formatPct(r.pct)), el('td', {}, formatSignedMiB(r.bytes))))),
  );
  const verdict = el('p', { className: 'verdict', dataset: { verdict: s.verdict } }, el('b', {}, s.verdict), ` — ${s.verdictText.replace(/^[^:]*:\s*/, '')}`);
  const figures = s.noise && s.dataKept !== undefined
    ? [el('p', { className: 'verdict-figures' }, `Data kept ${formatMiB(s.dataKept)} · threshold ${formatMiB(s.noise.threshold)}`,
      el('small', {}, ' (data kept: RSS above baseline at the end of settle, minus code and file pages)'))]
    : [];
  return [table, verdict, ...figures, ...renderEvidence(run, s, rerun), ...(run.runtime === 'python' ? inProcessTable(heap, phases) : [])];
}

/** Node's collect waits, bounded, for V8 to free ArrayBuffer backing stores before it ends (docs/verdicts.md §5). */
function releaseWait(s: Summary): HTMLElement | string {
  if (s.releaseWaitMs === undefined) return '';
  return el('small', { className: 'release-wait' }, ` · waited ${Math.round(s.releaseWaitMs)} ms for the runtime to free`);
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

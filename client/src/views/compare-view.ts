// Several runs on one chart, aligned at the start of allocate, with their tables side by side and
// the differences from the first run in MiB. A run without samples (cancelled while queued) or
// without a summary (failed, cancelled) stays in the legend and the table, saying so.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import { workerExitAt, type RunRecord } from '../../../shared/run-record.js';
import { summaryRows } from '../../../shared/summary.js';
import { MiB } from '../../../shared/units.js';
import { download, el } from '../dom.js';
import { codeBlocks } from './run-code-view.js';
import { formatPct, formatSignedMiB } from '../format.js';
import type { Comparison } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { onThemeChange, RUN_COLORS, themeChart } from './chart-theme.js';
import { knobsLabel, runLabel } from './history-view.js';
import { decimateMinMax, SeriesBuffer, type Point } from './series-buffer.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);

const colorOf = (i: number) => RUN_COLORS[i % RUN_COLORS.length]!;

/**
 * Seconds since the start of allocate: the moment the runs have in common. The line stops where the
 * worker exited, as on the run's own chart (its last readings are a dying process's).
 */
export function alignedRss(record: RunRecord): SeriesBuffer {
  const origin = record.phases.find((p) => p.name === 'allocate')?.start ?? record.createdAt;
  const exit = workerExitAt(record, record.phases) ?? Infinity;
  const series = new SeriesBuffer();
  for (const s of record.samples) if (s.t <= exit) series.push((s.t - origin) / 1000, s.rss / MiB);
  return series;
}

/**
 * A column head a person can read: experiment and params, then knobs and runtime — the other way
 * round when every run compared is the same experiment with the same params (an allocator matrix,
 * a setting tried twice), so what tells the columns apart comes first.
 */
export function columnHead(r: RunRecord, all: readonly RunRecord[]): readonly [string, string] {
  const setting = `${knobsLabel(r)} · ${r.runtime}`;
  return all.every((other) => runLabel(other) === runLabel(r)) ? [setting, runLabel(r)] : [runLabel(r), setting];
}

/** Why a run has no line or no figures, or '' when it has both. */
function missing(r: RunRecord): string {
  if (r.samples.length === 0) return `${r.status}: no samples`;
  if (!r.summary && r.watch) return `a watch (${r.watch.verdict?.verdict ?? 'no verdict'}): no seed table`;
  if (!r.summary) return `${r.status}${r.error ? ` (${r.error})` : ''}: no summary`;
  return '';
}

export function compareView(
  section: HTMLElement, canvas: HTMLCanvasElement, legend: HTMLElement, tables: HTMLElement, store: Store,
  report?: (ids: readonly string[]) => Promise<string>,
): void {
  if (report) {
    const button = el('button', { type: 'button', className: 'secondary', id: 'compare-report', textContent: 'Export report', title: 'These runs compared, in one HTML file that opens from disk' });
    button.addEventListener('click', () => {
      const ids = store.state.value.compare?.ids ?? [];
      report(ids).then((html) => download(`memtide-report-${ids.length}-runs.html`, html, 'text/html'),
        (e: Error) => store.dispatch({ type: 'notice', text: `could not export the report: ${e.message}` }));
    });
    section.querySelector('#compare-close')?.before(button);
  }
  let chart: Chart<'line', Point[]> | undefined;
  onThemeChange(() => chart && themeChart(chart));
  const compare = store.select((s) => s.compare);
  let shownFor: Comparison | undefined;
  watch(() => {
    const c = compare.value;
    section.hidden = !c;
    if (!c?.records) {
      chart?.destroy();
      chart = undefined;
      legend.replaceChildren();
      tables.replaceChildren(c ? el('p', { className: 'note' }, c.error ?? 'Loading the runs…') : '');
      shownFor = c;
      return;
    }
    const records = c.records;
    const series = records.map(alignedRss);
    const drawn = series.filter((s) => s.length > 0);
    const xMin = Math.min(0, ...drawn.map((s) => s.xs[0]!));
    const xMax = Math.max(1, ...drawn.map((s) => s.xs[s.length - 1]!));
    chart?.destroy();
    chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: {
        datasets: records.map((r, i) => ({
          label: `${runLabel(r)} · ${knobsLabel(r)}${missing(r) ? ` (${missing(r)})` : ''}`,
          data: decimateMinMax(series[i]!, xMin, xMax, 1200),
          borderColor: colorOf(i), backgroundColor: colorOf(i),
          borderWidth: 1.5, pointRadius: 0, parsing: false as const, normalized: true,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: xMin, max: xMax, title: { display: true, text: 'seconds since allocate started' }, grid: {}, ticks: {} },
          y: { type: 'linear', min: 0, title: { display: true, text: 'RSS, MiB' }, grid: {}, ticks: {} },
        },
        plugins: { legend: { labels: { boxWidth: 14 } }, title: { display: true, text: `Comparing ${records.length} runs (RSS, aligned at allocate)` } },
      },
    });
    themeChart(chart);
    // The legend again as text, so it can be read, copied and tested; runs without a line say why.
    legend.replaceChildren(
      ...records.map((r, i) => {
        const item = el('li', { dataset: { runId: r.id, drawn: String(r.samples.length > 0) } }, `${runLabel(r)} · ${r.runtime} · ${knobsLabel(r)} · ${r.id}`);
        if (missing(r)) item.append(el('span', { className: 'missing' }, ` — ${missing(r)}`));
        if (r.samples.length > 0) item.style.borderLeftColor = colorOf(i); // CSSOM: the CSP forbids inline style attributes
        return item;
      }),
    );
    // Custom runs: the code each ran, as text, so the comparison says what was compared.
    const code = records.filter((r) => r.code).map((r) => el('details', { className: 'run-code', dataset: { runId: r.id } }, el('summary', {}, `Code of ${runLabel(r)}`), ...codeBlocks(r)));
    tables.replaceChildren(compareTable(records), ...code);
    if (shownFor?.ids.join() !== c.ids.join()) section.scrollIntoView({ behavior: 'smooth', block: 'start' });
    shownFor = c;
  });
}

function compareTable(records: readonly RunRecord[]): HTMLElement {
  const rowsPerRun = records.map((r) => (r.summary ? summaryRows(r.summary) : undefined));
  const base = rowsPerRun.find((rows) => rows !== undefined);
  const first = records[rowsPerRun.indexOf(base)];
  const head = records.flatMap((r, i) => {
    const [what, how] = columnHead(r, records);
    const th = el('th', { scope: 'col', title: r.id, dataset: { runId: r.id } }, what, el('br'), el('small', {}, how));
    th.style.color = colorOf(i);
    return i > 0 && base && rowsPerRun[i] && r !== first ? [th, el('th', { scope: 'col' }, `Δ vs ${columnHead(first!, records)[0]}`)] : [th];
  });
  const body = (base ?? []).map((row, k) =>
    el('tr', { dataset: { row: row.label } }, el('th', { scope: 'row' }, row.label), ...records.flatMap((r, i) => {
      const rows = rowsPerRun[i];
      if (!rows) return [el('td', { className: 'missing' }, k === 0 ? missing(r) : '')];
      const cell = el('td', {}, formatPct(rows[k]!.pct), el('br'), formatSignedMiB(rows[k]!.bytes));
      return i > 0 && r !== first ? [cell, el('td', {}, formatSignedMiB(rows[k]!.bytes - row.bytes))] : [cell];
    })),
  );
  const verdicts = el('tr', { dataset: { row: 'verdict' } }, el('th', { scope: 'row' }, 'Verdict'), ...records.flatMap((r, i) => {
    const cell = el('td', {}, r.summary?.verdict ?? r.watch?.verdict?.verdict ?? r.status);
    return i > 0 && rowsPerRun[i] && r !== first ? [cell, el('td')] : [cell];
  }));
  if (!base) return el('p', { className: 'note' }, 'None of these runs has a summary: ', records.map((r) => `${runLabel(r)} ${missing(r)}`).join('; '));
  return el('table', { className: 'compare-table', ariaLabel: 'Comparison' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Step'), ...head)), el('tbody', {}, ...body, verdicts));
}

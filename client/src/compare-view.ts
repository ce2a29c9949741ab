// Several runs on one chart, aligned at the start of allocate, with their tables side by side and
// the differences from the first run in MiB.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import type { RunRecord } from '../../shared/run-record.js';
import { summaryRows } from '../../shared/summary.js';
import { MiB } from '../../shared/units.js';
import { formatPct, formatSignedMiB } from './format.js';
import { knobsLabel, runLabel } from './history-panel.js';
import { decimateMinMax, SeriesBuffer, type Point } from './series-buffer.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);

export const RUN_COLORS = ['#4cc2ff', '#ff8a5b', '#5fd38d', '#c28bff', '#f0b44c', '#ff6b9a', '#9ad0ec', '#d4e157'];

/** Seconds since the start of allocate: the moment the runs have in common. */
export function alignedRss(record: RunRecord): SeriesBuffer {
  const origin = record.phases.find((p) => p.name === 'allocate')?.start ?? record.createdAt;
  const series = new SeriesBuffer();
  for (const s of record.samples) series.push((s.t - origin) / 1000, s.rss / MiB);
  return series;
}

export class CompareView {
  private chart?: Chart<'line', Point[]>;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly tables: HTMLElement, private readonly legend: HTMLElement) {}

  show(records: readonly RunRecord[]): void {
    const series = records.map(alignedRss);
    const xMin = Math.min(...series.map((s) => (s.length ? s.xs[0]! : 0)));
    const xMax = Math.max(...series.map((s) => (s.length ? s.xs[s.length - 1]! : 1)));
    const label = (r: RunRecord) => `${runLabel(r)} · ${r.runtime} · ${knobsLabel(r)} · ${r.id}`;
    const datasets = records.map((r, i) => ({
      label: label(r),
      data: decimateMinMax(series[i]!, xMin, xMax, 1200),
      borderColor: RUN_COLORS[i % RUN_COLORS.length],
      backgroundColor: RUN_COLORS[i % RUN_COLORS.length],
      borderWidth: 1.5, pointRadius: 0, parsing: false as const, normalized: true,
    }));
    this.chart?.destroy();
    this.chart = new Chart<'line', Point[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: xMin, max: xMax, title: { display: true, text: 'seconds since allocate started' }, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
          y: { type: 'linear', min: 0, title: { display: true, text: 'RSS, MiB' }, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
        },
        plugins: {
          legend: { labels: { color: '#dfe6ee', boxWidth: 14 } },
          title: { display: true, text: `Comparing ${records.length} runs (RSS, aligned at allocate)`, color: '#dfe6ee' },
        },
      },
    });
    this.tables.innerHTML = compareTable(records);
    // Colours through the CSSOM: the page's CSP forbids inline style attributes.
    for (const th of this.tables.querySelectorAll<HTMLElement>('th[data-color]')) th.style.color = th.dataset.color!;
    // The legend again as text, so it can be read, copied and tested.
    this.legend.replaceChildren(
      ...records.map((r, i) => {
        const item = document.createElement('li');
        item.dataset.runId = r.id;
        item.style.borderLeftColor = RUN_COLORS[i % RUN_COLORS.length]!;
        item.textContent = label(r);
        return item;
      }),
    );
  }

  hide(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.tables.replaceChildren();
    this.legend.replaceChildren();
  }
}

function compareTable(records: readonly RunRecord[]): string {
  const finished = records.filter((r) => r.summary);
  if (finished.length === 0) return '<p class="note">None of these runs has a summary.</p>';
  const rowsPerRun = finished.map((r) => summaryRows(r.summary!));
  const first = rowsPerRun[0]!;
  const head = finished
    .map((r, i) => `<th data-color="${RUN_COLORS[records.indexOf(r) % RUN_COLORS.length]}">${r.id}</th>${i > 0 ? `<th>Δ vs ${finished[0]!.id}</th>` : ''}`)
    .join('');
  const body = first
    .map((row, k) => {
      const cells = rowsPerRun
        .map((rows, i) => `<td>${formatPct(rows[k]!.pct)}<br>${formatSignedMiB(rows[k]!.bytes)}</td>${i > 0 ? `<td>${formatSignedMiB(rows[k]!.bytes - row.bytes)}</td>` : ''}`)
        .join('');
      return `<tr data-row="${row.label}"><td>${row.label}</td>${cells}</tr>`;
    })
    .join('');
  const verdicts = finished.map((r, i) => `<td>${r.summary!.verdict}</td>${i > 0 ? '<td></td>' : ''}`).join('');
  return `<table class="compare-table" aria-label="Comparison"><thead><tr><th>Step</th>${head}</tr></thead><tbody>${body}<tr><td>Verdict</td>${verdicts}</tr></tbody></table>`;
}

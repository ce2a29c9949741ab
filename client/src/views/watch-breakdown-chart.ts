// Where a watched process's memory is over time: its smaps breakdown (brk heap, glibc's other
// arenas, stacks, anonymous mmaps, files, the rest) stacked, one point per read at the rate the
// watch settled on, on the same time axis as the RSS chart, with the same probe bands and markers.
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import type { ProbeResult, WatchBreakdown } from '../../../shared/watch-record.js';
import { MiB } from '../../../shared/units.js';
import { chartPng, onThemeChange, PART_COLORS, themeChart } from './chart-theme.js';
import { phaseBandsPlugin, type Band, type Mark } from './phase-bands.js';
import type { Point } from './series-buffer.js';
import { WATCH_PARTS } from './watch-tables.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend, Tooltip, Title);

export class WatchBreakdownChart {
  private readonly chart: Chart<'line', Point[]>;
  private bands: Band[] = [];
  private marks: Mark[] = [];
  private frame = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: {
        datasets: WATCH_PARTS.map((p, i) => ({
          label: p.label, data: [], borderColor: PART_COLORS[p.key], backgroundColor: `${PART_COLORS[p.key]}b3`,
          fill: i === 0 ? 'origin' : '-1', borderWidth: 1, pointRadius: 1.5, pointHitRadius: 4, parsing: false, normalized: true,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { right: 14 } }, // the last x tick's label, as on the RSS chart (chart-view.ts)
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'seconds since the watch started' }, grid: {}, ticks: { maxRotation: 0 } },
          y: { type: 'linear', min: 0, stacked: true, title: { display: true, text: 'MiB of RSS' }, grid: {}, ticks: {} },
        },
        plugins: {
          title: { display: true, text: 'Where is the memory? (smaps, at the rate its cost allows)' },
          legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} MiB` } },
        },
      },
      plugins: [phaseBandsPlugin(() => this.bands, () => this.marks)],
    });
    themeChart(this.chart);
    onThemeChange(() => themeChart(this.chart));
  }

  /** The reads so far, on an axis from t0 to tMax, with the RSS chart's bands and marks (all times in ms). */
  show(t0: number, tMax: number, reads: readonly WatchBreakdown[], probes: readonly ProbeResult[], bands: readonly Band[], marks: readonly Mark[]): void {
    const s = (t: number) => (t - t0) / 1000;
    const breakdowns = withProbeReads(reads, probes);
    this.chart.data.datasets.forEach((dataset, i) => {
      const key = WATCH_PARTS[i]!.key;
      dataset.data = breakdowns.map((b) => ({ x: s(b.t), y: b[key] / MiB }));
    });
    this.chart.options.scales!.x!.max = Math.max(1, Math.ceil(s(tMax) * 2) / 2);
    this.bands = bands.map((b) => ({ ...b, start: s(b.start), end: b.end === undefined ? undefined : s(b.end) }));
    this.marks = marks.map((m) => ({ ...m, at: s(m.at) }));
    if (this.frame) return;
    // In the next frame, never inside a message handler (as breakdown-view.ts does).
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.chart.update('none');
    });
  }

  toPng(): string {
    this.chart.update('none');
    return chartPng(this.chart);
  }
}

/**
 * The regular reads with the ones each probe took just before it and 1 s after: without them a
 * line drawn between two regular reads would start falling before the probe that made it fall.
 */
export function withProbeReads(reads: readonly WatchBreakdown[], probes: readonly ProbeResult[]): WatchBreakdown[] {
  const extra = probes.flatMap((p) => [p.before.breakdown, p.after?.breakdown]).filter((b): b is WatchBreakdown => b !== undefined);
  return extra.length === 0 ? [...reads] : [...reads, ...extra].sort((a, b) => a.t - b.t);
}

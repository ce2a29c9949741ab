// Where the memory is at each phase end: a stacked bar per phase (brk heap, thread arenas' heaps,
// anonymous mappings, file mappings, the rest), read by the server from /proc/PID/smaps while the
// worker waited. A part added to PARTS appears in the bars, the legend and the data table alike.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title, Tooltip } from 'chart.js';
import type { MemoryBreakdown } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { chartPng, onThemeChange, PART_COLORS, themeChart } from './chart-theme.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, Title);

export const PARTS = [
  { key: 'brkHeap', label: 'brk heap ([heap])' },
  { key: 'arenaHeaps', label: "glibc thread arenas' heaps" },
  { key: 'anonMappings', label: 'anonymous mmaps' },
  { key: 'fileMappings', label: 'files (code, libraries)' },
  { key: 'otherMappings', label: 'stack and other' },
] as const satisfies readonly { key: keyof typeof PART_COLORS; label: string }[];

export class BreakdownView {
  private readonly chart: Chart<'bar', number[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: PARTS.map((p) => ({ label: p.label, data: [], backgroundColor: PART_COLORS[p.key], stack: 'rss' })) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, grid: {}, ticks: {} },
          y: { stacked: true, min: 0, title: { display: true, text: 'MiB of RSS' }, grid: {}, ticks: {} },
        },
        plugins: {
          title: { display: true, text: 'Where is the memory? (phase ends)' },
          legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} MiB` } },
        },
      },
    });
    themeChart(this.chart);
    onThemeChange(() => themeChart(this.chart));
  }

  private frame = 0;

  /** Drawn in the next animation frame, never inside a message handler (a Chart.js update there
   * forced a style recalculation at each run's start, while its first samples waited). */
  show(breakdowns: readonly MemoryBreakdown[]): void {
    this.chart.data.labels = breakdowns.map((b) => b.phase);
    this.chart.data.datasets.forEach((dataset, i) => {
      dataset.data = breakdowns.map((b) => (b[PARTS[i]!.key] ?? 0) / MiB);
    });
    if (this.frame) return;
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

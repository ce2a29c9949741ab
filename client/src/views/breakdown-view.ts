// Where the memory is at each phase end, as stacked bars, split one of two ways (a segmented toggle):
// - by owner (the default, what the verdict reads): RSS above baseline as live, free in the
//   runtime, free in the C allocator part by part, the rest and what nothing explains
//   (views/accounting-bars.ts, from the accounting of shared/accounting.ts);
// - by mapping: RSS as the server read it from /proc/PID/smaps (brk heap, thread arenas' heaps,
//   anonymous, files, other).
// A part added to PARTS or to the accounting appears in the bars, the legend and the data table alike.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title, Tooltip, type ChartDataset } from 'chart.js';
import type { MemoryBreakdown } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { el } from '../dom.js';
import type { AccountingBars } from './accounting-bars.js';
import { drawScheduler } from './draw-scheduler.js';
import { ACCOUNTING_COLORS, chartPng, onThemeChange, pageColors, PART_COLORS, themeChart } from './chart-theme.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, Title);

export const PARTS = [
  { key: 'brkHeap', label: 'brk heap ([heap])' },
  { key: 'arenaHeaps', label: "glibc thread arenas' heaps" },
  { key: 'anonMappings', label: 'anonymous mmaps' },
  { key: 'fileMappings', label: 'files (code, libraries)' },
  { key: 'otherMappings', label: 'stack and other' },
] as const satisfies readonly { key: keyof typeof PART_COLORS; label: string }[];

export type BreakdownMode = 'owner' | 'mapping';

const MODES: Record<BreakdownMode, { button: string; title: string; axis: string; name: string }> = {
  owner: {
    button: 'by owner', title: 'RSS above baseline, by owner (phase ends)', axis: 'MiB above baseline',
    name: 'Where the memory is at each phase end, by owner: RSS above baseline as live, free in runtime, free in allocator by part, rest and unexplained (stacked bars); the same figures are in the table below the chart',
  },
  mapping: {
    button: 'by mapping', title: 'Where is the memory? by mapping (phase ends)', axis: 'MiB of RSS',
    name: 'Where the memory is at each phase end, by mapping: brk heap, anonymous mmaps, files, stack (stacked bars); the same figures are in the table below the chart',
  },
};

type Bars = ChartDataset<'bar', number[]>;

export class BreakdownView {
  private readonly chart: Chart<'bar', number[], string>;
  private mode: BreakdownMode = 'owner';
  private breakdowns: readonly MemoryBreakdown[] = [];
  private accounting: AccountingBars | undefined;
  private readonly buttons: Record<BreakdownMode, HTMLButtonElement>;
  private readonly scheduleDraw = drawScheduler(() => this.chart.update('none'), () => this.canvas);

  /** `toggle` gets the "by owner | by mapping" buttons. */
  constructor(private readonly canvas: HTMLCanvasElement, toggle: HTMLElement = el('div')) {
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, grid: {}, ticks: {} },
          // By owner, a share can fall below baseline (V8 giving back its own pages): see rebuild().
          y: { stacked: true, title: { display: true, text: '' }, grid: {}, ticks: {} },
        },
        plugins: {
          title: { display: true, text: '' },
          legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} MiB`, footer: (items) => this.footer(items[0]?.dataIndex) } },
        },
      },
    });
    this.buttons = {
      owner: this.button('owner', toggle),
      mapping: this.button('mapping', toggle),
    };
    themeChart(this.chart);
    onThemeChange(() => {
      this.rebuild(); // the segments' borders are the panel's colour
      themeChart(this.chart);
    });
    this.rebuild();
  }

  private button(mode: BreakdownMode, toggle: HTMLElement): HTMLButtonElement {
    const b = el('button', { type: 'button', className: 'secondary small', textContent: MODES[mode].button, dataset: { mode } });
    b.addEventListener('click', () => this.setMode(mode));
    toggle.append(b);
    return b;
  }

  /** The split on screen: by mapping when the run has no accounting (no /proc, or recorded before it existed). */
  get shownMode(): BreakdownMode {
    return this.mode === 'owner' && this.accounting?.phases.length ? 'owner' : 'mapping';
  }

  setMode(mode: BreakdownMode): void {
    this.mode = mode;
    this.rebuild();
  }

  /**
   * Drawn in the next animation frame, never inside a message handler (a Chart.js update there
   * forced a style recalculation at each run's start, while its first samples waited).
   */
  show(breakdowns: readonly MemoryBreakdown[], accounting?: AccountingBars): void {
    this.breakdowns = breakdowns;
    this.accounting = accounting;
    this.rebuild();
  }

  private rebuild(): void {
    const shown = this.shownMode;
    const { data, options } = this.chart;
    const panel = pageColors().panel;
    const next: Bars[] = shown === 'owner'
      ? this.accounting!.segments.map((seg) => ({
        label: seg.label, data: seg.values.map((v) => v / MiB), backgroundColor: ACCOUNTING_COLORS[seg.key], borderColor: panel, borderWidth: 1, stack: 'rss',
      }))
      : PARTS.map((p) => ({ label: p.label, data: this.breakdowns.map((b) => (b[p.key] ?? 0) / MiB), backgroundColor: PART_COLORS[p.key], stack: 'rss' }));
    data.labels = shown === 'owner' ? this.accounting!.phases : this.breakdowns.map((b) => b.phase);
    // The same series as drawn (each phase end mid-run): new figures in place, as before the split;
    // replacing the datasets makes Chart.js build its elements and legend again.
    const same = next.length === data.datasets.length && next.every((d, i) => d.label === data.datasets[i]!.label && d.borderColor === data.datasets[i]!.borderColor);
    if (same) next.forEach((d, i) => (data.datasets[i]!.data = d.data));
    else data.datasets = next;
    // Below zero only when some bar really goes there: a share 0.2 MiB under baseline is not a pixel,
    // but it made Chart.js open a −20 MiB band (the data table has the exact figures).
    const below = Math.min(0, ...data.labels.map((_, i) => data.datasets.reduce((sum, d) => sum + Math.min(0, d.data[i] ?? 0), 0)));
    (options.scales!.y as { min?: number }).min = below < -1 ? undefined : 0;
    options.plugins!.title!.text = MODES[shown].title;
    (options.scales!.y as { title: { text: string } }).title.text = MODES[shown].axis;
    this.canvas.setAttribute('aria-label', MODES[shown].name);
    for (const [mode, b] of Object.entries(this.buttons) as [BreakdownMode, HTMLButtonElement][]) {
      b.setAttribute('aria-pressed', String(mode === shown));
      b.disabled = mode === 'owner' && !this.accounting?.phases.length;
      b.title = b.disabled ? 'This run has no accounting: its worker reported no figures at phase ends, or it was recorded before memtide kept them' : '';
    }
    // Emptied for a run that has just started: drawn later unless bars come first (draw-scheduler.ts).
    this.scheduleDraw(this.breakdowns.length === 0 && !this.accounting?.phases.length);
  }

  private footer(index: number | undefined): string {
    if (index === undefined || this.shownMode !== 'owner') return '';
    return `RSS above baseline: ${(this.accounting!.rss[index]! / MiB).toFixed(1)} MiB`;
  }

  toPng(): string {
    this.chart.update('none');
    return chartPng(this.chart);
  }
}

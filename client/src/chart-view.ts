// The live chart: RSS from the external sampler and the runtime's own heap figures, in MiB over
// seconds since the run started, with phase bands. Updated in place at most once per frame.
// Wheel, pinch or shift-drag zooms the time axis, drag pans, double-click resets; the tooltip
// shows every series and the phase at the cursor.
import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartDataset, type Plugin, type TooltipModel,
} from 'chart.js';
import type { HeapSample, Phase, Sample } from '../../shared/run-record.js';
import * as zoomModule from 'chartjs-plugin-zoom';
import { MiB } from '../../shared/units.js';
import { phaseBandsPlugin, type Band } from './phase-bands.js';
import { decimateMinMax, indexAtOrBefore, SeriesBuffer, type Point } from './series-buffer.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);
// chartjs-plugin-zoom's types describe CommonJS while the bundler loads its ESM build: take the
// plugin object from whichever shape arrives.
const zoomPlugin = [zoomModule.default, (zoomModule.default as { default?: unknown }).default].find(
  (p): p is Plugin => typeof p === 'object' && p !== null && (p as Plugin).id === 'zoom',
);
if (zoomPlugin) Chart.register(zoomPlugin);

/** The runtime's own figures: bytes on the MiB axis, CPython's block count on its own right axis. */
const HEAP_SERIES = [
  { key: 'heapUsed', label: 'heapUsed (V8)', color: '#ff8a5b', axis: 'y', per: MiB },
  { key: 'heapTotal', label: 'heapTotal (V8)', color: '#f0b44c', axis: 'y', per: MiB },
  { key: 'external', label: 'external (Buffers)', color: '#c28bff', axis: 'y', per: MiB },
  { key: 'allocatedBlocks', label: 'allocated blocks (CPython, right axis)', color: '#5fd38d', axis: 'y1', per: 1 },
] as const;

export class ChartView {
  private readonly chart: Chart<'line', Point[]>;
  private readonly rss = new SeriesBuffer();
  private readonly heap = HEAP_SERIES.map(() => new SeriesBuffer());
  private bands: Band[] = [];
  private t0 = 0;
  private xMax = 1;
  private frame = 0;
  /** While the user has zoomed or panned, streaming leaves the visible range alone. */
  private zoomed = false;
  private readonly tooltipBox: HTMLDivElement;
  /** Called when the view is zoomed or reset (to show or hide a reset button). */
  onZoomChange?: (zoomed: boolean) => void;
  /** Times (t) of the samples added since the last draw, kept only while a probe listens. */
  private undrawn: number[] = [];

  /**
   * Benchmarks only (bench/frame-latency.ts, bench/chart-fps.ts): called at the end of each draw
   * with the t of every sample it drew for the first time and how long the draw took (ms).
   */
  probe?: (sampleTimes: number[], drawMs: number) => void;

  constructor(canvas: HTMLCanvasElement) {
    const line = (label: string, color: string, yAxisID = 'y'): ChartDataset<'line', Point[]> => ({
      label, data: [], borderColor: color, backgroundColor: color, yAxisID,
      borderWidth: 1.5, pointRadius: 0, pointHitRadius: 4, parsing: false, normalized: true, spanGaps: true,
    });
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: [line('RSS (sampled from outside)', '#4cc2ff'), ...HEAP_SERIES.map((s) => line(s.label, s.color, s.axis))] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'seconds since run start' }, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
          y: { type: 'linear', min: 0, title: { display: true, text: 'MiB' }, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
          y1: { type: 'linear', min: 0, position: 'right', display: false, title: { display: true, text: 'blocks' }, grid: { drawOnChartArea: false }, ticks: { color: '#8b9bb0' } },
        },
        plugins: {
          // Series this runtime does not report (V8's for CPython and back) stay out of the legend.
          legend: { labels: { color: '#dfe6ee', boxWidth: 14, filter: (item, data) => item.datasetIndex === 0 || (data.datasets[item.datasetIndex!]?.data.length ?? 0) > 0 } },
          title: { display: true, text: '', color: '#dfe6ee' },
          tooltip: {
            // One tooltip for the cursor's time: every series' latest value there, and the phase.
            filter: (item, index) => index === 0,
            enabled: false,
            external: ({ tooltip }) => this.renderTooltip(tooltip),
            callbacks: {
              title: (items) => this.tooltipTitle(items[0]?.parsed.x ?? 0),
              label: (item) => this.tooltipLines(item.parsed.x ?? 0),
            },
          },
          zoom: {
            limits: { x: { min: 0, minRange: 0.005 } },
            // From the chart's own state: the wheel's onZoomComplete comes 250 ms late, maybe after a reset.
            pan: { enabled: true, mode: 'x', onPanComplete: ({ chart }) => this.setZoomed(chart.isZoomedOrPanned()) },
            zoom: {
              mode: 'x',
              wheel: { enabled: true },
              pinch: { enabled: true },
              drag: { enabled: true, modifierKey: 'shift', backgroundColor: 'rgba(76,194,255,0.15)' },
              onZoomComplete: ({ chart }) => this.setZoomed(chart.isZoomedOrPanned()),
            },
          },
        },
      },
      plugins: [phaseBandsPlugin(() => this.bands)],
    });
    canvas.addEventListener('dblclick', () => this.resetZoom());
    this.tooltipBox = Object.assign(document.createElement('div'), { className: 'chart-tooltip', hidden: true, role: 'tooltip' });
    canvas.parentElement?.append(this.tooltipBox);
  }

  /** Back to the whole run, following new samples again. */
  resetZoom(): void {
    this.chart.resetZoom('none');
    this.setZoomed(false);
  }

  private setZoomed(zoomed: boolean): void {
    this.zoomed = zoomed;
    this.onZoomChange?.(zoomed);
    this.schedule();
  }

  /** The tooltip as HTML beside the cursor (readable, selectable, testable), not canvas pixels. */
  private renderTooltip(tooltip: TooltipModel<'line'>): void {
    const box = this.tooltipBox;
    if (tooltip.opacity === 0) {
      box.hidden = true;
      return;
    }
    const title = document.createElement('b');
    title.textContent = tooltip.title.join(' ');
    const lines = tooltip.body.flatMap((b) => b.lines).map((line) => {
      const div = document.createElement('div');
      div.textContent = line;
      return div;
    });
    box.replaceChildren(title, ...lines);
    box.hidden = false;
    const { offsetLeft, offsetTop } = this.chart.canvas;
    const flip = tooltip.caretX > this.chart.width / 2; // keep it inside the chart
    box.style.left = `${offsetLeft + tooltip.caretX + (flip ? -12 - box.offsetWidth : 12)}px`;
    box.style.top = `${offsetTop + Math.max(0, tooltip.caretY - 20)}px`;
  }

  private tooltipTitle(x: number): string {
    const phase = this.bands.find((b) => x >= b.start && x <= (b.end ?? Infinity));
    return `${x.toFixed(3)} s${phase ? ` · ${phase.name}` : ''}`;
  }

  private tooltipLines(x: number): string[] {
    const lines: string[] = [];
    [this.rss, ...this.heap].forEach((series, i) => {
      const at = indexAtOrBefore(series, x);
      if (at < 0) return;
      const label = this.chart.data.datasets[i]!.label;
      const y = series.ys[at]!;
      lines.push(i > 0 && HEAP_SERIES[i - 1]!.axis === 'y1' ? `${label}: ${Math.round(y).toLocaleString()}` : `${label}: ${y.toFixed(1)} MiB`);
    });
    return lines;
  }

  /** Clears the chart for a run that started at wall-clock time t0 (ms). A title may have several lines. */
  reset(t0: number, title: string | string[], keepZoom = false): void {
    this.t0 = t0;
    this.xMax = 1;
    this.rss.clear();
    for (const s of this.heap) s.clear();
    this.bands = [];
    this.chart.options.plugins!.title!.text = title;
    if (this.zoomed && !keepZoom) this.resetZoom();
    this.schedule();
  }

  setTitle(title: string | string[]): void {
    this.chart.options.plugins!.title!.text = title;
    this.schedule();
  }

  addSamples(samples: readonly Sample[]): void {
    for (const s of samples) this.rss.push(this.seconds(s.t), s.rss / MiB);
    if (this.probe) for (const s of samples) this.undrawn.push(s.t);
    this.schedule();
  }

  addHeap(samples: readonly HeapSample[]): void {
    for (const h of samples) {
      HEAP_SERIES.forEach(({ key, per }, i) => {
        const value = h[key];
        if (value !== undefined) this.heap[i]!.push(this.seconds(h.t), value / per);
      });
    }
    this.schedule();
  }

  setPhases(phases: readonly Phase[]): void {
    this.bands = phases.map((p) => ({ name: p.name, start: this.seconds(p.start), end: p.end === undefined ? undefined : this.seconds(p.end) }));
    this.schedule();
  }

  /** The chart as drawn, as a PNG data URL. */
  toPng(): string {
    return this.chart.toBase64Image('image/png', 1);
  }

  private seconds(t: number): number {
    const x = (t - this.t0) / 1000;
    if (x > this.xMax) this.xMax = x;
    return x;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const started = performance.now();
    const columns = Math.max(100, Math.round(this.chart.chartArea?.width ?? 1000));
    const all = [this.rss, ...this.heap];
    // Zoomed: decimate only the visible range, at full resolution for it; else the whole run.
    const x = this.chart.scales.x;
    const [from, to] = this.zoomed && x ? [x.min, x.max] : [0, this.xMax];
    this.chart.data.datasets.forEach((dataset, i) => {
      dataset.data = decimateMinMax(all[i]!, from, to, columns);
    });
    if (!this.zoomed) {
      this.chart.options.scales!.x!.min = 0;
      this.chart.options.scales!.x!.max = Math.max(1, Math.ceil(this.xMax * 2) / 2);
    }
    this.chart.options.scales!.y1!.display = HEAP_SERIES.some((s, i) => s.axis === 'y1' && this.heap[i]!.length > 0);
    this.chart.update('none');
    if (this.probe) {
      this.probe(this.undrawn, performance.now() - started);
      this.undrawn = [];
    }
  }
}

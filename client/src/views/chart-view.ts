// The run's chart: RSS from the external sampler and the runtime's own heap figures, in MiB over
// seconds since the run started, with phase bands, and at each phase end a marker where the
// verdict's live share puts RSS (views/chart-series.ts says what each series is). RSS is decimated straight from the state's
// packed SampleLog at most once per frame. The RSS line stops where the worker exits (a dying
// process's last readings are not memory coming back) and the exit is marked.
// Wheel, pinch or shift-drag zooms the time axis, drag pans, double-click resets; the tooltip
// shows every series and the phase at the cursor.
import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type Plugin, type TooltipModel,
} from 'chart.js';
import * as zoomModule from 'chartjs-plugin-zoom';
import type { HeapSample, Phase, Sample } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { appendSamples, emptyLog, type SampleLog } from '../state/sample-log.js';
import { el } from '../dom.js';
import { formatSignedMiB } from '../format.js';
import { renderLegend, showTooltip } from './chart-overlays.js';
import type { LiveMark } from './accounting-bars.js';
import { chartPng, onThemeChange, pageColors, PHASE_COLORS, themeChart } from './chart-theme.js';
import { HEAP_SERIES, runDatasets } from './chart-series.js';
import { phaseBandsPlugin, type Band, type Mark } from './phase-bands.js';
import { drawScheduler } from './draw-scheduler.js';
import { decimateMinMax, indexAtOrBefore, SeriesBuffer, type Point, type Series } from './series-buffer.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);
// chartjs-plugin-zoom's types describe CommonJS while the bundler loads its ESM build: take the
// plugin object from whichever shape arrives.
const zoomPlugin = [zoomModule.default, (zoomModule.default as { default?: unknown }).default].find(
  (p): p is Plugin => typeof p === 'object' && p !== null && (p as Plugin).id === 'zoom',
);
if (zoomPlugin) Chart.register(zoomPlugin);

/** Chart.js turns a plugin off for one chart when its options are `false` (its types do not say so). */
const NO_TITLE_OR_LEGEND = { legend: false, title: false } as unknown as { legend: object; title: object };

const numberFormats = new Map<string, Intl.NumberFormat>();
/**
 * A tick's label as Chart.js's own numeric formatter writes it (Ticks.formatters.numeric in
 * chart.js/src/core/core.ticks.js: decimals from the step between ticks, the step of a bound tick
 * that is not on the grid from its own fraction, 0 as "0"), from a formatter kept per format:
 * Chart.js builds a cache key with JSON.stringify for every label of every frame (10 % of a frame).
 */
function tickLabel(value: number | string, _index: number, ticks: { value: number }[]): string {
  const v = Number(value);
  if (v === 0) return '0';
  let notation: 'scientific' | undefined;
  let delta = v;
  if (ticks.length > 1) {
    const maxTick = Math.max(Math.abs(ticks[0]!.value), Math.abs(ticks[ticks.length - 1]!.value));
    if (maxTick < 1e-4 || maxTick > 1e15) notation = 'scientific';
    delta = ticks.length > 3 ? ticks[2]!.value - ticks[1]!.value : ticks[1]!.value - ticks[0]!.value;
    if (Math.abs(delta) >= 1 && v !== Math.floor(v)) delta = v - Math.floor(v);
  }
  const logDelta = Math.log10(Math.abs(delta));
  const decimals = Number.isNaN(logDelta) ? 1 : Math.max(Math.min(-Math.floor(logDelta), 20), 0);
  const key = `${notation ?? ''}${decimals}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(undefined, { notation, minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
  return format.format(v);
}

export class ChartView {
  readonly chart: Chart<'line', Point[]>;
  /** RSS as the state holds it: ms since the epoch, bytes. */
  private rss: SampleLog = emptyLog();
  private readonly heap = HEAP_SERIES.map(() => new SeriesBuffer());
  private bands: Band[] = [];
  private marks: Mark[] = [];
  /** The verdict's live share at each phase end (seconds since run start, MiB), few: not decimated. */
  private liveMarks: (Point & { phase: string; live: number })[] = [];
  /** The worker's exit (ms): RSS after it is not drawn. */
  private exitAt = Infinity;
  private t0 = 0;
  private xMax = 1;
  private readonly scheduleDraw = drawScheduler(() => this.draw(), () => this.chart?.canvas);
  /** While the user has zoomed or panned, streaming leaves the visible range alone. */
  private zoomed = false;
  private readonly tooltipBox: HTMLDivElement;
  onZoomChange?: (zoomed: boolean) => void;
  /** Times (t) of the samples added since the last draw, kept only while a probe listens. */
  private undrawn: number[] = [];
  /** Benchmarks only (bench/frame-latency.ts, bench/chart-fps.ts): each draw's new sample times and its duration (ms). */
  probe?: (sampleTimes: number[], drawMs: number) => void;

  constructor(canvas: HTMLCanvasElement, legend: HTMLElement = el('ul'), timeAxisTitle = 'seconds since run start') {
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: runDatasets() },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        // Room for the last x tick's label: sized from a few sampled labels (below), Chart.js does
        // not always leave it ("36.5" was cut at the right edge).
        layout: { padding: { right: 14 } },
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          // Horizontal tick labels measured from a few samples: Chart.js otherwise sizes every label
          // and tries rotations on each update, 60 times a second mid-run.
          x: { type: 'linear', min: 0, title: { display: true, text: timeAxisTitle }, grid: {}, ticks: { maxRotation: 0, sampleSize: 4, callback: tickLabel } },
          y: { type: 'linear', min: 0, title: { display: true, text: 'MiB' }, grid: {}, ticks: { sampleSize: 4, callback: tickLabel } },
          y1: { type: 'linear', min: 0, position: 'right', display: false, title: { display: true, text: 'blocks' }, grid: { drawOnChartArea: false }, ticks: { sampleSize: 4, callback: tickLabel } },
        },
        plugins: {
          // Title and legend are HTML beside the canvas while live: off here, not just hidden (a
          // hidden plugin still runs its hooks on every update, 16 % of a frame), and drawn into the
          // image by toPng().
          ...NO_TITLE_OR_LEGEND,
          tooltip: {
            // One tooltip for the cursor's time: every series' latest value there, and the phase.
            filter: (_item, index) => index === 0,
            enabled: false,
            external: ({ tooltip }) => this.renderTooltip(tooltip),
            callbacks: { title: (items) => this.tooltipTitle(items[0]?.parsed.x ?? 0), label: (item) => this.tooltipLines(item.parsed.x ?? 0) },
          },
          zoom: {
            limits: { x: { min: 0, minRange: 0.005 } },
            // From the chart's own state: the wheel's onZoomComplete comes 250 ms late, maybe after a reset.
            pan: { enabled: true, mode: 'x', onPanComplete: ({ chart }) => this.setZoomed(chart.isZoomedOrPanned()) },
            zoom: {
              mode: 'x', wheel: { enabled: true }, pinch: { enabled: true },
              drag: { enabled: true, modifierKey: 'shift', backgroundColor: 'rgba(76,194,255,0.15)' },
              onZoomComplete: ({ chart }) => this.setZoomed(chart.isZoomedOrPanned()),
            },
          },
        },
      },
      plugins: [phaseBandsPlugin(() => this.bands, () => this.marks)],
    });
    themeChart(this.chart);
    onThemeChange(() => themeChart(this.chart));
    canvas.addEventListener('dblclick', () => this.resetZoom());
    this.tooltipBox = Object.assign(document.createElement('div'), { className: 'chart-tooltip', hidden: true, role: 'tooltip' });
    canvas.parentElement?.append(this.tooltipBox);
    this.legend = legend;
  }

  private readonly legend: HTMLElement;
  private legendKey = '';
  /** Drawn into the PNG only (the page shows the title as HTML). */
  private title: string | string[] = '';

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

  private renderTooltip(tooltip: TooltipModel<'line'>): void {
    showTooltip(this.tooltipBox, tooltip, this.chart);
  }

  private tooltipTitle(x: number): string {
    const phase = this.bands.find((b) => x >= b.start && x <= (b.end ?? Infinity));
    return `${x.toFixed(3)} s${phase ? ` · ${phase.label}` : ''}`;
  }

  private tooltipLines(x: number): string[] {
    const lines: string[] = [];
    const series: [Series, number][] = [[this.rss, this.t0 + x * 1000], ...this.heap.map((h): [Series, number] => [h, x])];
    series.forEach(([s, at], i) => {
      const k = indexAtOrBefore(s, Math.min(at, i === 0 ? this.exitAt : Infinity));
      if (k < 0) return;
      const label = this.chart.data.datasets[i]!.label;
      const y = i === 0 ? s.ys[k]! / MiB : s.ys[k]!;
      lines.push(i > 0 && HEAP_SERIES[i - 1]!.axis === 'y1' ? `${label}: ${Math.round(y).toLocaleString()}` : `${label}: ${y.toFixed(1)} MiB`);
    });
    // The marker of the phase at the cursor, once that phase has ended: what the verdict reads there.
    const phase = this.bands.find((b) => x >= b.start && x <= (b.end ?? Infinity));
    const mark = this.liveMarks.find((m) => m.phase === phase?.label);
    if (mark) lines.push(`live at ${mark.phase}'s end (the verdict's share): ${formatSignedMiB(mark.live)} above baseline`);
    return lines;
  }

  /** Clears the chart for a run that started at wall-clock time t0 (ms). A title may have several lines. */
  reset(t0: number, title: string | string[], keepZoom = false): void {
    this.t0 = t0;
    this.xMax = 1;
    this.rss = emptyLog();
    for (const s of this.heap) s.clear();
    this.bands = [];
    this.marks = [];
    this.liveMarks = [];
    this.exitAt = Infinity;
    this.title = title;
    if (this.zoomed && !keepZoom) this.resetZoom();
    this.schedule();
  }

  setTitle(title: string | string[]): void {
    this.title = title;
  }

  /** The run's samples as the state holds them (shared, append-only): nothing is copied. */
  setSamples(log: SampleLog): void {
    if (log === this.rss) return;
    if (this.probe) for (let i = log.length > this.rss.length ? this.rss.length : 0; i < log.length; i++) this.undrawn.push(log.xs[i]!);
    this.rss = log;
    if (log.length > 0) this.stretch(log.xs[log.length - 1]!);
    this.schedule();
  }

  /** Benchmarks feed samples here directly (bench/chart-fps.ts). */
  addSamples(samples: readonly Sample[]): void {
    this.setSamples(appendSamples(this.rss, samples));
  }

  addHeap(samples: readonly HeapSample[]): void {
    for (const h of samples) {
      HEAP_SERIES.forEach(({ read, per }, i) => {
        const value = read(h);
        if (value !== undefined) this.heap[i]!.push(this.stretch(h.t), value / per);
      });
    }
    this.schedule();
  }

  /** The verdict's live share at each phase end that has one (views/accounting-bars.ts liveMarks). */
  setLiveMarks(marks: readonly LiveMark[]): void {
    this.liveMarks = marks.map((m) => ({ x: this.stretch(m.t), y: m.level / MiB, phase: m.phase, live: m.live }));
    this.schedule();
  }

  /** The phases as bands; `exitAt` (ms), once the worker has exited, ends the RSS line there. */
  setPhases(phases: readonly Phase[], exitAt?: number): void {
    const s = (t: number) => (t - this.t0) / 1000;
    this.bands = phases.map((p) => ({ label: p.name, color: PHASE_COLORS[p.name], start: s(p.start), end: p.end === undefined ? undefined : s(p.end) }));
    this.exitAt = exitAt ?? Infinity;
    this.marks = exitAt === undefined ? [] : [{ at: s(exitAt), label: 'worker exits' }];
    this.schedule();
  }

  /** Bands and marks of a watch's own (its probes, its markers), at times in ms like the samples'. */
  setOverlays(bands: readonly Band[], marks: readonly Mark[]): void {
    const s = (t: number) => (t - this.t0) / 1000;
    this.bands = bands.map((b) => ({ ...b, start: s(b.start), end: b.end === undefined ? undefined : s(b.end) }));
    this.marks = marks.map((m) => ({ ...m, at: s(m.at) }));
    this.schedule();
  }

  /** The chart as drawn, with its title and legend, on the page's background, as a PNG data URL. */
  toPng(): string {
    const plugins = this.chart.options.plugins!;
    const { text } = pageColors();
    // Series this runtime does not report (V8's for CPython and back) stay out of the legend.
    plugins.legend = { display: true, labels: { boxWidth: 14, color: text, filter: (item, data) => item.datasetIndex === 0 || (data.datasets[item.datasetIndex!]?.data.length ?? 0) > 0 } } as typeof plugins.legend;
    plugins.title = { display: true, text: this.title, color: text } as typeof plugins.title;
    this.chart.update('none');
    try {
      return chartPng(this.chart);
    } finally {
      Object.assign(plugins, NO_TITLE_OR_LEGEND);
      this.chart.update('none');
    }
  }

  private stretch(t: number): number {
    const x = (t - this.t0) / 1000;
    if (x > this.xMax) this.xMax = x;
    return x;
  }

  private schedule(): void {
    this.scheduleDraw(this.rss.length === 0 && this.heap.every((s) => s.length === 0));
  }

  private draw(): void {
    const started = performance.now();
    const columns = Math.max(100, Math.round(this.chart.chartArea?.width ?? 1000));
    // Zoomed: decimate only the visible range, at full resolution for it; else the whole run.
    const x = this.chart.scales.x;
    const [from, to] = this.zoomed && x ? [x.min, x.max] : [0, this.xMax];
    const rssTo = Math.min(this.t0 + to * 1000, this.exitAt);
    const datasets = this.chart.data.datasets;
    datasets[0]!.data = decimateMinMax(this.rss, this.t0 + from * 1000, rssTo, columns, { x0: this.t0, xPer: 1000, yPer: MiB });
    if (this.exitAt !== Infinity) datasets[0]!.data = datasets[0]!.data.filter((p) => p.x * 1000 + this.t0 <= this.exitAt);
    this.heap.forEach((series, i) => (datasets[i + 1]!.data = decimateMinMax(series, from, to, columns)));
    datasets[HEAP_SERIES.length + 1]!.data = this.liveMarks;
    if (!this.zoomed) {
      this.chart.options.scales!.x!.min = 0;
      this.chart.options.scales!.x!.max = Math.max(1, Math.ceil(this.xMax * 2) / 2);
    }
    this.chart.options.scales!.y1!.display = HEAP_SERIES.some((s, i) => s.axis === 'y1' && this.heap[i]!.length > 0);
    this.chart.update('none');
    this.legendKey = renderLegend(this.legend, this.chart.data.datasets, this.legendKey);
    if (this.probe) {
      this.probe(this.undrawn, performance.now() - started);
      this.undrawn = [];
    }
  }
}

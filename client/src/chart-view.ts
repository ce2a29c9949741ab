// The live chart: RSS from the external sampler and the runtime's own heap figures, in MiB over
// seconds since the run started, with phase bands. Updated in place at most once per frame.
import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { HeapSample, Phase, Sample } from '../../shared/schemas.js';
import { MiB } from '../../shared/summary.js';
import { phaseBandsPlugin, type Band } from './phase-bands.js';
import { decimateMinMax, SeriesBuffer, type Point } from './series-buffer.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);

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
            callbacks: {
              label: (item) => item.dataset.yAxisID === 'y1'
                ? `${item.dataset.label}: ${Math.round(item.parsed.y ?? 0).toLocaleString()}`
                : `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} MiB`,
            },
          },
        },
      },
      plugins: [phaseBandsPlugin(() => this.bands)],
    });
  }

  /** Clears the chart for a run that started at wall-clock time t0 (ms). A title may have several lines. */
  reset(t0: number, title: string | string[]): void {
    this.t0 = t0;
    this.xMax = 1;
    this.rss.clear();
    for (const s of this.heap) s.clear();
    this.bands = [];
    this.chart.options.plugins!.title!.text = title;
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

  /** Points Chart.js currently holds per series (after decimation); for tests and the benchmark. */
  drawnPoints(): number[] {
    return this.chart.data.datasets.map((d) => d.data.length);
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
    this.chart.data.datasets.forEach((dataset, i) => {
      dataset.data = decimateMinMax(all[i]!, 0, this.xMax, columns);
    });
    this.chart.options.scales!.x!.max = Math.max(1, Math.ceil(this.xMax * 2) / 2);
    this.chart.options.scales!.y1!.display = HEAP_SERIES.some((s, i) => s.axis === 'y1' && this.heap[i]!.length > 0);
    this.chart.update('none');
    if (this.probe) {
      this.probe(this.undrawn, performance.now() - started);
      this.undrawn = [];
    }
  }
}

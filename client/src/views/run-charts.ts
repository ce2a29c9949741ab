// The run on screen drawn: the time chart and the breakdown bars follow the state. The chart is
// fed incrementally — the same run's new samples and heap readings — and starts over only when
// another record replaces the shown one (a re-fetch of the same run keeps the user's zoom). The
// accounting (what the verdict reads) feeds both: the bars by owner, the chart's live markers.
import { isEnded, workerExitAt } from '../../../shared/run-record.js';
import type { ShownRun } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { accountingBars, accountingOf, liveMarks } from './accounting-bars.js';
import { BreakdownView } from './breakdown-view.js';
import { ChartView } from './chart-view.js';
import { runTitle } from './run-title.js';

/** Where the worker exited (ms), once it has: the end of its last phase, else its last sample. */
export function exitTime(shown: ShownRun): number | undefined {
  if (!isEnded(shown.info)) return undefined;
  return workerExitAt(shown.info, shown.phases) ?? (shown.samples.length > 0 ? shown.samples.xs[shown.samples.length - 1]! : undefined);
}

export interface RunCharts {
  chart: ChartView;
  breakdown: BreakdownView;
}

export interface RunChartElements {
  canvas: HTMLCanvasElement;
  legend: HTMLElement;
  breakdownCanvas: HTMLCanvasElement;
  /** Where the bars' "by owner | by mapping" toggle goes. */
  breakdownMode: HTMLElement;
  resetZoom: HTMLButtonElement;
}

export function runChartsView({ canvas, legend, breakdownCanvas, breakdownMode, resetZoom }: RunChartElements, store: Store): RunCharts {
  const chart = new ChartView(canvas, legend);
  const breakdown = new BreakdownView(breakdownCanvas, breakdownMode);
  chart.onZoomChange = (zoomed) => (resetZoom.hidden = !zoomed);
  resetZoom.addEventListener('click', () => chart.resetZoom());
  // A watch is drawn by watch-charts.ts: this chart stays empty (and hidden) meanwhile.
  const shown = store.select((s) => (s.shown?.watch ? undefined : s.shown));
  const seq = store.select((s) => s.shownSeq);
  const catalog = store.select((s) => s.catalog);
  let drawnSeq = -1;
  let lastId: string | undefined;
  let heapDrawn = 0;
  // What was last handed over, by identity: a 10 ms samples batch must cost a typed-array handover
  // and nothing else (a bar chart update per batch was the frame-latency tail).
  let phasesShown: unknown;
  let exitShown: number | undefined;
  let breakdownsShown: unknown;
  let accountedPhases: unknown;
  let summaryShown: unknown;
  watch(() => {
    const run = shown.value;
    if (seq.value !== drawnSeq) {
      drawnSeq = seq.value;
      heapDrawn = 0;
      chart.reset(run?.info.createdAt ?? 0, run ? runTitle(run.info, catalog.peek()) : '', run?.info.id === lastId);
      lastId = run?.info.id;
      phasesShown = exitShown = breakdownsShown = accountedPhases = summaryShown = undefined;
    }
    if (!run) return breakdownsShown === null || (breakdown.show([]), chart.setLiveMarks([]), (breakdownsShown = null));
    chart.setSamples(run.samples);
    if (run.heap.length > heapDrawn) chart.addHeap(run.heap.slice(heapDrawn));
    heapDrawn = run.heap.length;
    const exit = exitTime(run);
    if (run.phases !== phasesShown || exit !== exitShown) chart.setPhases(run.phases, exit);
    [phasesShown, exitShown] = [run.phases, exit];
    // The accounting changes only at phase ends and when the summary lands, never per samples batch.
    if (run.breakdowns !== breakdownsShown || run.phases !== accountedPhases || run.info.summary !== summaryShown) {
      const accounting = accountingOf(run);
      breakdown.show(run.breakdowns, accountingBars(accounting, run.info.runtime));
      chart.setLiveMarks(liveMarks(run, accounting));
    }
    [breakdownsShown, accountedPhases, summaryShown] = [run.breakdowns, run.phases, run.info.summary];
  });
  // The title (drawn into exported PNGs) follows the run's info (version, allocator) and the
  // catalog's names; picked first, formatted only when they change.
  const titleParts = store.select((s) => ({ info: s.shown?.info, catalog: s.catalog }));
  watch(() => {
    const { info, catalog: names } = titleParts.value;
    if (info) chart.setTitle(runTitle(info, names));
  });
  canvas.setAttribute('role', 'img');
  breakdownCanvas.setAttribute('role', 'img'); // its name follows the split shown (breakdown-view.ts)
  return { chart, breakdown };
}

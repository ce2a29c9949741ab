// The shown watch drawn: RSS (and the inspector's heap figures) on the run chart's machinery
// (chart-view.ts: packed samples, min/max decimation, zoom, tooltip) with each probe as a band
// labelled with what it returned and each marker as a labelled line; under it the breakdown over
// time. Fed incrementally like run-charts.ts: a 10 ms samples batch is a typed-array handover.
import type { WatchTimeline } from '../../../shared/watch-record.js';
import { el } from '../dom.js';
import type { ShownRun } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { ChartView } from './chart-view.js';
import { PROBE_COLORS } from './chart-theme.js';
import type { Band, Mark } from './phase-bands.js';
import { probeLabel } from './probe-rules.js';
import { latestTime } from './status-line.js';
import { WatchBreakdownChart } from './watch-breakdown-chart.js';
import { watchName } from './watch-panels.js';
import { eventsList } from './watch-tables.js';

export interface WatchChartElements {
  chart: HTMLCanvasElement;
  legend: HTMLElement;
  breakdown: HTMLCanvasElement;
  /** The bands' and marks' labels as a list (what the canvas draws, as text). */
  events: HTMLElement;
}

/** Probes as bands from start to end (a running one reaches the newest data), markers as marks; times in ms. */
export function overlays(timeline: WatchTimeline): { bands: Band[]; marks: Mark[] } {
  return {
    bands: timeline.probes.map((p) => ({ label: probeLabel(p), color: PROBE_COLORS[p.kind], textOnPage: true, start: p.start, end: p.end })),
    marks: timeline.markers.map((m) => ({ at: m.t, label: m.label })),
  };
}

const chartTitle = (run: ShownRun): string[] => [watchName(run.info), run.info.watch?.target.command ?? ''];

export function watchChartsView(els: WatchChartElements, store: Store): { rss: ChartView; breakdown: WatchBreakdownChart } {
  const rss = new ChartView(els.chart, els.legend, 'seconds since the watch started');
  const breakdown = new WatchBreakdownChart(els.breakdown);
  const shown = store.select((s) => (s.shown?.watch ? s.shown : undefined));
  const seq = store.select((s) => s.shownSeq);
  let drawnSeq = -1;
  let heapDrawn = 0;
  let timelineShown: WatchTimeline | undefined;
  let breakdownKey = '';
  let drawsAWatch = false;
  watch(() => {
    const run = shown.value;
    if (seq.value !== drawnSeq) {
      drawnSeq = seq.value;
      heapDrawn = 0;
      timelineShown = undefined;
      breakdownKey = '';
      // A run replacing a run: this chart is hidden and already empty. Clearing it again cost a
      // Chart.js update (1-6 ms) in the first frame of every run, the frame its first samples wait on.
      if (run || drawsAWatch) rss.reset(run?.info.createdAt ?? 0, run ? chartTitle(run) : '');
      drawsAWatch = run !== undefined;
    }
    if (!run) return;
    const timeline = run.watch!;
    const t0 = run.info.createdAt;
    rss.setSamples(run.samples);
    if (run.heap.length > heapDrawn) rss.addHeap(run.heap.slice(heapDrawn));
    heapDrawn = run.heap.length;
    const { bands, marks } = overlays(timeline);
    if (timeline !== timelineShown) {
      rss.setOverlays(bands, marks);
      const items = eventsList(timeline, t0);
      els.events.replaceChildren(...(items.length > 0 ? items : [el('li', { className: 'note' }, 'No markers or probes yet.')]));
      timelineShown = timeline;
    }
    // The breakdown's axis follows RSS's (whose end is rounded up to 0.5 s), redrawn at most once
    // per half second of the watch, not per batch.
    const latest = latestTime(run);
    const key = `${timeline.breakdowns.length}|${Math.ceil((latest - t0) / 500)}|${bands.map((b) => b.label).join()}|${marks.length}|${run.info.status}`;
    if (key !== breakdownKey) breakdown.show(t0, latest, timeline.breakdowns, timeline.probes, bands, marks);
    breakdownKey = key;
  });
  els.chart.setAttribute('role', 'img');
  els.breakdown.setAttribute('role', 'img');
  return { rss, breakdown };
}

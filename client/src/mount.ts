// The run views both pages show — the dashboard (main.ts) and a report (report-main.ts) — each
// bound to its element and to the one state. What differs between the two is only the sources.
import type { Actions } from './controller.js';
import type { Store } from './state/store.js';
import { chartDataTableView } from './views/chart-data-table.js';
import type { ChartView } from './views/chart-view.js';
import { compareView } from './views/compare-view.js';
import { connectionBadge, themeToggle } from './views/header-view.js';
import { historyView } from './views/history-view.js';
import { phaseListView } from './views/phase-list.js';
import { queueView } from './views/queue-view.js';
import { routeSync } from './views/route.js';
import { runChartsView } from './views/run-charts.js';
import { runTitleView } from './views/run-title.js';
import { latestTime, statusLineView } from './views/status-line.js';
import { summaryView } from './views/summary-view.js';
import { toolbarView, type Exporters } from './views/toolbar.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};

export function mountRunViews(store: Store, actions: Actions, report?: Exporters['report']): ChartView {
  themeToggle($('theme'));
  connectionBadge($('connection'), store);
  runTitleView($('run-title'), store);
  statusLineView($('status'), store);
  queueView($('queue'), $('cancel-queued'), store, actions);
  const { chart } = runChartsView($('chart'), $('breakdown'), $('reset-zoom'), store);
  const clock = store.select((s) => (s.shown ? Math.floor(latestTime(s.shown) / 100) * 100 : 0));
  phaseListView($('phases'), store.select((s) => s.shown?.phases ?? []), clock);
  summaryView($('summary'), store);
  chartDataTableView($('chart-data'), store);
  toolbarView({ bar: $('toolbar'), cancel: $('cancel'), message: $('toolbar-message'), importInput: $('import-json') }, store, actions, { png: () => chart.toPng(), report });
  compareView($('compare'), $('compare-chart'), $('compare-legend'), $('compare-tables'), store, report);
  $('compare-close').addEventListener('click', () => store.dispatch({ type: 'compare-closed' }));
  historyView($('history'), $('compare-selected'), store, actions);
  routeSync(store);
  // ?probe hands the chart to the benchmarks (bench/chart-fps.ts, bench/frame-latency.ts).
  if (new URLSearchParams(location.search).has('probe')) Object.assign(window, { memtideChart: chart });
  return chart;
}

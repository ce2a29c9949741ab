// The heavy half of the page, loaded after the first paint: the charts (Chart.js, zoom), their data
// table, the comparison, and the toolbar's exports.
import type { Actions } from './controller.js';
import { $ } from './mount.js';
import type { Store } from './state/store.js';
import { chartDataTableView } from './views/chart-data-table.js';
import type { ChartView } from './views/chart-view.js';
import { compareView } from './views/compare-view.js';
import { runChartsView } from './views/run-charts.js';
import { toolbarView, type Exporters } from './views/toolbar.js';
import { watchView } from './views/watch-view.js';

export function mountRunViews(store: Store, actions: Actions, report?: Exporters['report']): ChartView {
  const { chart } = runChartsView({ canvas: $('chart'), legend: $('chart-legend'), breakdownCanvas: $('breakdown'), breakdownMode: $('breakdown-mode'), resetZoom: $('reset-zoom') }, store);
  chartDataTableView($('chart-data'), store);
  const watched = watchView({
    lab: $('lab'), section: $('watch'), target: $('watch-target'), controls: $('watch-controls'), alerts: $('watch-alerts'), chart: $('watch-chart'), legend: $('watch-legend'),
    breakdown: $('watch-breakdown'), events: $('watch-events'), readings: $('watch-readings'), verdict: $('watch-verdict'), dataBox: $('watch-data-box'), data: $('watch-data'),
  }, store, actions.watch);
  // The PNG is of the chart on screen: a watch's when a watch is shown.
  const png = () => (store.state.value.shown?.watch ? watched.chart : chart).toPng();
  toolbarView({ bar: $('toolbar'), cancel: $('cancel'), message: $('toolbar-message'), importInput: $('import-json') }, store, actions, { png, report });
  compareView($('compare'), $('compare-chart'), $('compare-legend'), $('compare-tables'), store, report);
  $('compare-close').addEventListener('click', () => store.dispatch({ type: 'compare-closed' }));
  // ?probe hands the chart to the benchmarks (bench/chart-fps.ts, bench/frame-latency.ts).
  if (new URLSearchParams(location.search).has('probe')) Object.assign(window, { memtideChart: chart });
  return chart;
}

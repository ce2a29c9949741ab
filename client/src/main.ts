// The dashboard's entry: one state (state/), its sources (sources/), the controller that does the
// I/O, and the views (views/), each bound to its element. Nothing here decides anything.
import './zod-jitless.js'; // first: zod must not try new Function() under the page's CSP
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../../shared/limits.js';
import { startController } from './controller.js';
import { fileSource } from './sources/file-source.js';
import { liveSource } from './sources/live-source.js';
import { initialState } from './state/dashboard-state.js';
import { createStore } from './state/store.js';
import { cardsView } from './views/cards-view.js';
import { chartDataTableView } from './views/chart-data-table.js';
import { compareView } from './views/compare-view.js';
import { connectionBadge, themeToggle } from './views/header-view.js';
import { historyView } from './views/history-view.js';
import { matrixView } from './views/matrix-view.js';
import { phaseListView } from './views/phase-list.js';
import { queueView } from './views/queue-view.js';
import { routeSync, runIdFromHash } from './views/route.js';
import { runChartsView } from './views/run-charts.js';
import { runTitleView } from './views/run-title.js';
import { latestTime, statusLineView } from './views/status-line.js';
import { summaryView } from './views/summary-view.js';
import { toolbarView } from './views/toolbar.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const store = createStore(initialState(runIdFromHash()));
const live = liveSource();
const actions = startController(store, fileSource(), live);

const sampleHz = $<HTMLInputElement>('sample-hz');
Object.assign(sampleHz, { min: String(SAMPLE_HZ_MIN), max: String(SAMPLE_HZ_MAX) });
const readSampleHz = () => {
  if (!sampleHz.checkValidity()) throw new Error(`sampleHz: ${sampleHz.validationMessage}`);
  return Number(sampleHz.value);
};

themeToggle($('theme'));
connectionBadge($('connection'), store);
cardsView($('experiments'), store, actions, readSampleHz);
runTitleView($('run-title'), store);
statusLineView($('status'), store);
queueView($('queue'), $('cancel-queued'), store, actions);
const { chart } = runChartsView($('chart'), $('breakdown'), $('reset-zoom'), store);
phaseListView($('phases'), store.select((s) => s.shown?.phases ?? []), store.select((s) => (s.shown ? Math.floor(latestTime(s.shown) / 100) * 100 : 0)));
summaryView($('summary'), store);
chartDataTableView($('chart-data'), store);
toolbarView({ bar: $('toolbar'), cancel: $('cancel'), message: $('toolbar-message'), importInput: $('import-json') }, store, actions, { png: () => chart.toPng() });
compareView($('compare'), $('compare-chart'), $('compare-legend'), $('compare-tables'), store);
$('compare-close').addEventListener('click', () => store.dispatch({ type: 'compare-closed' }));
historyView($('history'), $('compare-selected'), store, actions);
matrixView({ section: $('matrix'), title: $('matrix-title'), overlay: $('matrix-overlay'), close: $('matrix-close'), body: $('matrix-body') }, store);
routeSync(store);
// ?probe hands the chart to the benchmarks (bench/chart-fps.ts, bench/frame-latency.ts).
if (new URLSearchParams(location.search).has('probe')) Object.assign(window, { memtideChart: chart });
live.connect(store.dispatch);

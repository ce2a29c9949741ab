// A watched process on screen — live from its stream, or as stored (history, an imported file, a
// report): who it is, its charts, the controls while it goes, its cgroup and the breakdown's rate,
// the verdict and every probe. The run's own parts of the lab (phases, seed table, phase-end bars)
// step aside while a watch is shown (#lab[data-kind="watch"] in styles.css).
import type { WatchActions } from '../controller.js';
import { el, setData } from '../dom.js';
import { watch, type Store } from '../state/store.js';
import type { ChartView } from './chart-view.js';
import { watchChartsView } from './watch-charts.js';
import { watchControlsView } from './watch-controls.js';
import { probeAlerts, readingsLine, targetLine, verdictPanel } from './watch-panels.js';
import { probeTable, watchDataTables } from './watch-tables.js';

export interface WatchElements {
  lab: HTMLElement;
  section: HTMLElement;
  target: HTMLElement;
  controls: HTMLElement;
  /** Probes that failed or were cut off: under the controls, where the user just pressed. */
  alerts: HTMLElement;
  chart: HTMLCanvasElement;
  legend: HTMLElement;
  breakdown: HTMLCanvasElement;
  events: HTMLElement;
  readings: HTMLElement;
  verdict: HTMLElement;
  /** A <details> whose body is `data`: the tables are built only while it is open. */
  dataBox: HTMLDetailsElement;
  data: HTMLElement;
}

export function watchView(els: WatchElements, store: Store, actions: WatchActions | undefined): { chart: ChartView } {
  watchControlsView(els.controls, store, actions);
  const { rss } = watchChartsView({ chart: els.chart, legend: els.legend, breakdown: els.breakdown, events: els.events }, store);
  // Picks only what these panels show: the samples (100 batches a second) are the charts' business.
  const view = store.select((s) => (s.shown?.watch ? { info: s.shown.info, timeline: s.shown.watch, origin: s.shown.origin } : undefined));
  let alertsFor: unknown;
  watch(() => {
    const v = view.value;
    setData(els.lab, 'kind', v ? 'watch' : 'run');
    els.section.hidden = !v;
    if (!v) return;
    const { info, timeline } = v;
    const live = info.status === 'running' && v.origin === 'server';
    els.target.replaceChildren(...targetLine(info));
    els.readings.replaceChildren(...readingsLine(timeline));
    // Rebuilt only when the probes change: an alert put back in the page is announced again.
    if (timeline.probes !== alertsFor) els.alerts.replaceChildren(...probeAlerts(timeline.probes));
    alertsFor = timeline.probes;
    els.verdict.replaceChildren(
      ...verdictPanel(info, live),
      el('h3', {}, 'Probes'),
      probeTable(timeline.probes, info.createdAt),
      el('p', { className: 'note' }, 'RSS change: RSS 1 s after the probe against just before it. Target stopped: from gdb\'s attach to its detach (an upper bound), or the inspector\'s GC.'),
    );
    if (els.dataBox.open) els.data.replaceChildren(...watchDataTables(timeline, info.createdAt));
  });
  els.dataBox.addEventListener('toggle', () => {
    const v = view.peek();
    els.data.replaceChildren(...(els.dataBox.open && v ? watchDataTables(v.timeline, v.info.createdAt) : []));
  });
  return { chart: rss };
}

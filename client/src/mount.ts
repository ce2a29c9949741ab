// The views both pages show — the dashboard (main.ts) and a report (report-main.ts) — each bound
// to its element and to the one state. What differs between the two is only the sources. The
// first screen's views are here; the charts, comparison and exports are in mount-run.ts, which the
// dashboard loads after its first paint.
import type { Actions } from './controller.js';
import type { CustomActions } from './custom-actions.js';
import type { Store } from './state/store.js';
import { connectionBadge, themeToggle } from './views/header-view.js';
import { historyView } from './views/history-view.js';
import { phaseListView } from './views/phase-list.js';
import { queueView } from './views/queue-view.js';
import { routeSync } from './views/route.js';
import { runCodeView } from './views/run-code-view.js';
import { runTitleView } from './views/run-title.js';
import { latestTime, statusLineView } from './views/status-line.js';
import { summaryView } from './views/summary-view.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};

/** What the first screen needs, light enough to be on screen before the charts load. */
export function mountFirstViews(store: Store, actions: Actions, custom?: { actions: CustomActions; sampleHz(): number }): void {
  themeToggle($('theme'));
  connectionBadge($('connection'), store);
  runTitleView($('run-title'), store);
  statusLineView($('status'), store);
  queueView($('queue'), $('cancel-queued'), store, actions);
  const clock = store.select((s) => (s.shown ? Math.floor(latestTime(s.shown) / 100) * 100 : 0));
  phaseListView($('phases'), store.select((s) => s.shown?.phases ?? []), clock);
  summaryView($('summary'), store, actions);
  runCodeView($('run-code'), store, actions, custom?.actions, custom?.sampleHz);
  historyView($('history'), $('compare-selected'), store, actions);
  routeSync(store);
}

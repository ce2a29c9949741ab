// The dashboard's entry: one state (state/), the live server and imported files as its sources
// (sources/), the controller that does the I/O, and the views (views/, bound in mount.ts).
import './zod-jitless.js'; // first: zod must not try new Function() under the page's CSP
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../../shared/limits.js';
import { embedReport, REPORT_SHELL_FILE } from '../../shared/report.js';
import { startController } from './controller.js';
import { $, mountRunViews } from './mount.js';
import { fileSource } from './sources/file-source.js';
import { liveSource } from './sources/live-source.js';
import { initialState } from './state/dashboard-state.js';
import { createStore } from './state/store.js';
import { cardsView } from './views/cards-view.js';
import { runIdFromHash } from './views/route.js';

const store = createStore(initialState(runIdFromHash()));
const live = liveSource();
const actions = startController(store, fileSource(), live);

const sampleHz = $<HTMLInputElement>('sample-hz');
Object.assign(sampleHz, { min: String(SAMPLE_HZ_MIN), max: String(SAMPLE_HZ_MAX) });
cardsView($('experiments'), store, actions, () => {
  if (!sampleHz.checkValidity()) throw new Error(`sampleHz: ${sampleHz.validationMessage}`);
  return Number(sampleHz.value);
});

/** A report of these runs: the built shell (served beside the page) with the records embedded. */
async function report(ids: readonly string[]): Promise<string> {
  const answer = await fetch(`/${REPORT_SHELL_FILE}`);
  if (!answer.ok) throw new Error(`${REPORT_SHELL_FILE}: ${answer.status} ${answer.statusText}`);
  const records = await Promise.all(ids.map((id) => actions.load(id)));
  const catalog = (store.state.value.catalog ?? []).filter((e) => records.some((r) => r.experiment === e.id));
  return embedReport(await answer.text(), { version: 1, createdAt: Date.now(), records, catalog });
}

mountRunViews(store, actions, report);
live.connect(store.dispatch);

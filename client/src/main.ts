// The dashboard's entry: one state (state/), the live server and imported files as its sources
// (sources/), the controller that does the I/O, and the views (views/, bound in mount.ts). The
// first screen — cards from the catalog the page carries, history, status — is drawn from this
// chunk; the charts, comparison and exports (mount-run.ts, Chart.js) load after that first paint.
import './zod-jitless.js'; // first: zod must not try new Function() under the page's CSP
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../../shared/limits.js';
import { startController } from './controller.js';
import { customActions } from './custom-actions.js';
import { $, mountFirstViews } from './mount.js';
import { embeddedCatalog, fetchCatalog } from './sources/api.js';
import { fileSource } from './sources/file-source.js';
import { liveSource } from './sources/live-source.js';
import { initialState } from './state/dashboard-state.js';
import { createStore, watch } from './state/store.js';
import { cardsView } from './views/cards-view.js';
import { savedExperimentsView } from './views/saved-experiments-view.js';
import { matrixView } from './views/matrix-view.js';
import { processPickerView } from './views/process-picker.js';
import { runIdFromHash } from './views/route.js';

const store = createStore(initialState(runIdFromHash()));
const live = liveSource();
const actions = startController(store, fileSource(), live);
// The catalog is in the page (server/index-page.ts): the cards are drawn below, in this first run of
// the script. Without it (the Vite dev server's page) it is fetched, preloaded by index.html; either
// way the cards need not wait for the WebSocket.
const catalog = embeddedCatalog();
if (catalog) store.dispatch({ type: 'catalog', catalog });
else fetchCatalog().then((fetched) => store.dispatch({ type: 'catalog', catalog: fetched }), (e: Error) => console.warn(`memtide: catalog: ${e.message} (waiting for the stream)`));

const sampleHz = $<HTMLInputElement>('sample-hz');
Object.assign(sampleHz, { min: String(SAMPLE_HZ_MIN), max: String(SAMPLE_HZ_MAX) });
const readSampleHz = () => {
  if (!sampleHz.checkValidity()) throw new Error(`sampleHz: ${sampleHz.validationMessage}`);
  return Number(sampleHz.value);
};
cardsView($('experiments'), store, actions, readSampleHz);
const custom = customActions(store, actions);
custom.refresh().catch((e: Error) => console.warn(`memtide: custom experiments: ${e.message}`));
savedExperimentsView($('your-experiments'), store, custom, readSampleHz);
mountFirstViews(store, actions, { actions: custom, sampleHz: readSampleHz });
// The "Your code" card and CodeMirror load when it is first opened, or when code is handed to it.
const codeCard = $<HTMLDetailsElement>('your-code');
let codeCardLoaded = false;
const openCodeCard = () => {
  if (codeCardLoaded) return;
  codeCardLoaded = true;
  import('./mount-code.js').then(({ mountCodeCard }) => mountCodeCard($('your-code-body'), store, custom, readSampleHz),
    (e: Error) => ($('your-code-body').textContent = `could not load the editor: ${e.message}`));
};
codeCard.addEventListener('toggle', () => codeCard.open && openCodeCard());
const draftSeq = store.select((s) => s.codeDraft?.seq);
watch(() => {
  if (draftSeq.value === undefined) return;
  codeCard.open = true;
  openCodeCard();
  codeCard.scrollIntoView({ block: 'start' });
});
// The allocator matrix needs the live server (it starts runs): the dashboard's, not a report's.
matrixView({ section: $('matrix'), title: $('matrix-title'), overlay: $('matrix-overlay'), close: $('matrix-close'), body: $('matrix-body') }, store);
// So does watching a running process (the picker; the watch view itself is in mount-run.ts).
processPickerView({ open: $('watch-open'), section: $('processes'), status: $('processes-status'), refresh: $('processes-refresh'), close: $('processes-close'), body: $('processes-body') }, store, actions.watch);
live.connect(store.dispatch);

// The rest after the frame that shows the cards (or after 1.5 s without a catalog): Chart.js takes
// tens of ms to evaluate, and must not stand between the catalog's arrival and the cards.
const firstScreen = new Promise<void>((resolve) => {
  setTimeout(resolve, 1500);
  const stop = watch(() => store.state.value.catalog && (resolve(), queueMicrotask(() => stop())));
});
void firstScreen.then(() => requestAnimationFrame(() => setTimeout(async () => {
  const [{ mountRunViews }, { reportExporter }] = await Promise.all([import('./mount-run.js'), import('./report-export.js')]);
  mountRunViews(store, actions, reportExporter(store, actions));
})));

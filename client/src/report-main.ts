// A report's entry: the same state and views as the dashboard, with one source — the runs
// embedded in this file (shared/report.ts). No server, no network: it opens from disk.
import './zod-jitless.js'; // first: zod must not try new Function() under the page's CSP
import { REPORT_DATA_ID, ReportData } from '../../shared/report.js';
import { startController } from './controller.js';
import { $, mountFirstViews } from './mount.js';
import { mountRunViews } from './mount-run.js';
import { readDataBlock } from './sources/data-block.js';
import { fileSource } from './sources/file-source.js';
import { initialState } from './state/dashboard-state.js';
import { createStore } from './state/store.js';
import { runIdFromHash } from './views/route.js';

function embedded(): ReportData | string {
  const read = readDataBlock(REPORT_DATA_ID, ReportData);
  if (read.ok) return read.data;
  return read.error.startsWith('not JSON: ') ? `the report's data is ${read.error}` : `not a memtide report: ${read.error}`;
}

const data = embedded();
if (typeof data === 'string') {
  $('run-title').textContent = data;
} else {
  // The run section is the dashboard's (client/lab.html): what differs in a report is said here.
  $('history-title').textContent = 'Runs in this report';
  $('lab').ariaLabel = 'Runs in this report';
  $('queue').parentElement!.hidden = true;
  const files = fileSource(data.records, data.catalog);
  const store = createStore(initialState(runIdFromHash()));
  const actions = startController(store, files);
  mountFirstViews(store, actions);
  mountRunViews(store, actions);
  $('report-date').textContent = `Report written ${new Date(data.createdAt).toLocaleString()} · ${data.records.length} run${data.records.length > 1 ? 's' : ''}`;
  files.connect(store.dispatch);
  const first = runIdFromHash() ?? data.records[0]!.id;
  store.dispatch({ type: 'open', id: first });
  if (data.records.length > 1) store.dispatch({ type: 'compare', ids: data.records.map((r) => r.id) });
}

// "Export report" in the dashboard: the report shell the server serves beside the page
// (dist/client/report-shell.html) with these runs embedded — the file `memtide report` writes.
import { embedReport, REPORT_SHELL_FILE } from '../../shared/report.js';
import type { Actions } from './controller.js';
import type { Store } from './state/store.js';

export const reportExporter = (store: Store, actions: Actions) => async (ids: readonly string[]): Promise<string> => {
  const answer = await fetch(`/${REPORT_SHELL_FILE}`);
  if (!answer.ok) throw new Error(`${REPORT_SHELL_FILE}: ${answer.status} ${answer.statusText}`);
  const records = await Promise.all(ids.map((id) => actions.load(id)));
  const catalog = (store.state.value.catalog ?? []).filter((e) => records.some((r) => r.experiment === e.id));
  return embedReport(await answer.text(), { version: 1, createdAt: Date.now(), records, catalog });
};

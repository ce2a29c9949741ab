// A report: one self-contained HTML file (no network, no server, opens from disk) that shows runs
// with the dashboard's own code. The client's build emits a shell (dist/client/report-shell.html,
// script and styles inline, a CSP of their hashes); a report is that shell with the runs embedded
// as JSON in a data block. The dashboard's "Export report" and `memtide report` both embed here.
import { z } from 'zod';
import { Experiment } from './catalog/experiment.js';
import { RunRecord, Time } from './run-record.js';

export const REPORT_SHELL_FILE = 'report-shell.html';

/**
 * JSON that cannot end its <script> element or open a comment: every "<" is written as \u003c, so a
 * run whose title holds "</script><img onerror=…>" stays data. (U+2028/9 are escaped too: harmless
 * in JSON.parse, but not in every tool that reads the file.)
 */
export const scriptSafeJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * A JSON data block: data, never run (type application/json), written with scriptSafeJson so
 * nothing in the value can end it early. A report carries its runs in one, the dashboard's page its
 * catalog (server/index-page.ts).
 */
export const dataBlock = (id: string, value: unknown): string => `<script type="application/json" id="${id}">${scriptSafeJson(value)}</script>`;

/** The data block the shell carries; `null` until runs are embedded. */
export const REPORT_DATA_ID = 'memtide-report';
export const REPORT_SLOT = dataBlock(REPORT_DATA_ID, null);

export const ReportData = z.object({
  version: z.literal(1),
  createdAt: Time,
  /** One run, or several to compare (the first is shown). */
  records: z.array(RunRecord).min(1, 'records: a report needs at least one run'),
  /** The experiments of these runs (their titles); optional. */
  catalog: z.array(Experiment).default([]),
});
export type ReportData = z.infer<typeof ReportData>;

/** The shell with the runs in its data block; throws if the shell has no slot (not a report shell). */
export function embedReport(shell: string, data: ReportData): string {
  const at = shell.indexOf(REPORT_SLOT);
  if (at < 0 || shell.indexOf(REPORT_SLOT, at + 1) >= 0) throw new Error('report shell: no single data slot (rebuild the client)');
  // Sliced, not String.replace: "$&" in run data must stay literal.
  return shell.slice(0, at) + dataBlock(REPORT_DATA_ID, data) + shell.slice(at + REPORT_SLOT.length);
}

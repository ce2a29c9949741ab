// A report: one self-contained HTML file (no network, no server, opens from disk) that shows runs
// with the dashboard's own code. The client's build emits a shell (dist/client/report-shell.html,
// script and styles inline, a CSP of their hashes); a report is that shell with the runs embedded
// as JSON in a data block. The dashboard's "Export report" and `memtide report` both embed here.
import { z } from 'zod';
import { Experiment } from './catalog/experiment.js';
import { RunRecord, Time } from './run-record.js';

export const REPORT_SHELL_FILE = 'report-shell.html';

/** The data block the shell carries; `null` until runs are embedded. */
export const REPORT_SLOT = '<script type="application/json" id="memtide-report">null</script>';

export const ReportData = z.object({
  version: z.literal(1),
  createdAt: Time,
  /** One run, or several to compare (the first is shown). */
  records: z.array(RunRecord).min(1, 'records: a report needs at least one run'),
  /** The experiments of these runs (their titles); optional. */
  catalog: z.array(Experiment).default([]),
});
export type ReportData = z.infer<typeof ReportData>;

/**
 * JSON that cannot end its <script> element or open a comment: every "<" is written as \u003c, so a
 * run whose title holds "</script><img onerror=…>" stays data. (U+2028/9 are escaped too: harmless
 * in JSON.parse, but not in every tool that reads the file.)
 */
export const scriptSafeJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** The shell with the runs in its data block; throws if the shell has no slot (not a report shell). */
export function embedReport(shell: string, data: ReportData): string {
  const at = shell.indexOf(REPORT_SLOT);
  if (at < 0 || shell.indexOf(REPORT_SLOT, at + 1) >= 0) throw new Error('report shell: no single data slot (rebuild the client)');
  const [open, close] = REPORT_SLOT.split('null') as [string, string];
  // Sliced, not String.replace: "$&" in run data must stay literal.
  return shell.slice(0, at) + open + scriptSafeJson(data) + close + shell.slice(at + REPORT_SLOT.length);
}

// `memtide report <run-id>… -o out.html`: stored runs as one self-contained HTML file — the
// dashboard's own report build (dist/client/report-shell.html) with the records embedded
// (shared/report.ts). Opens from disk, with no server and no network.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOG } from '../shared/catalog/index.js';
import type { Experiment } from '../shared/catalog/experiment.js';
import { embedReport, REPORT_SHELL_FILE } from '../shared/report.js';
import { RunId, type RunRecord } from '../shared/run-record.js';
import { clientDistDir } from './paths.js';
import { RunStore } from './storage/run-store.js';

export const REPORT_USAGE = 'memtide report <run-id>... -o <out.html>   (one run, or several compared)';

/** The report's HTML for these records (the first is shown; several are compared). */
export function buildReport(records: readonly RunRecord[], shell = readFileSync(join(clientDistDir, REPORT_SHELL_FILE), 'utf8')): string {
  // Titles only: what this machine can run does not matter in a report.
  const catalog: Experiment[] = CATALOG.filter((e) => records.some((r) => r.experiment === e.id)).map((e) => ({ ...e, knobs: [], available: true }));
  return embedReport(shell, { version: 1, createdAt: Date.now(), records: [...records], catalog });
}

export type ReportResult = { ok: true; out: string; bytes: number } | { ok: false; usage: boolean; error: string };

/** Parses the arguments, reads the runs from the store and writes the file. */
export function reportCommand(args: string[], dataDir: string): ReportResult {
  let parsed: ReturnType<typeof parseReportArgs>;
  try {
    parsed = parseReportArgs(args);
  } catch (error) {
    return { ok: false, usage: true, error: (error as Error).message };
  }
  const { ids, out } = parsed;
  const store = new RunStore(dataDir);
  const records: RunRecord[] = [];
  for (const id of ids) {
    const record = store.load(id);
    if (!record) return { ok: false, usage: false, error: `run-id ${id}: no such run in ${store.dir}` };
    records.push(record);
  }
  if (!existsSync(join(clientDistDir, REPORT_SHELL_FILE))) return { ok: false, usage: false, error: `${REPORT_SHELL_FILE} is missing from ${clientDistDir}: build the client` };
  const html = buildReport(records);
  writeFileSync(out, html);
  return { ok: true, out, bytes: Buffer.byteLength(html) };
}

function parseReportArgs(args: string[]): { ids: string[]; out: string } {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { out: { type: 'string', short: 'o' } } });
  if (positionals.length === 0) throw new Error('report: name at least one run id');
  if (!values.out) throw new Error('report: -o <out.html> is required');
  for (const id of positionals) if (!RunId.safeParse(id).success) throw new Error(`run-id ${JSON.stringify(id.slice(0, 80))}: not a run id (a-z, 0-9, -)`);
  return { ids: positionals, out: values.out };
}

// The JSON store memtide used before the database: one <run-id>.json per ended run, directly in
// MEMTIDE_DATA when it was set, else in ./.memtide/runs. Each start imports the files not imported
// yet (the names are kept in `imported_files`, so a run deleted later does not come back, and a
// second start imports nothing twice). The files are left where they are; a file that is not a
// readable run is reported and skipped, and never deleted.
import { readdirSync, statSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { join } from 'node:path';
import { RunId, RunRecord } from '../../shared/run-record.js';
import { RunStore } from './run-store.js';
import { readJsonFile } from './safe-read.js';

export interface ImportProblem {
  /** Relative to the data directory ("runs/abc.json"). */
  file: string;
  error: string;
}

export interface ImportResult {
  imported: number;
  /** Runs whose id the database already had (kept as they were there). */
  alreadyThere: number;
  problems: ImportProblem[];
}

/**
 * The largest run file the old store could write: it wrote each run as Buffer.from(JSON.stringify
 * (record)), one JavaScript string (at most MAX_STRING_LENGTH UTF-16 units, ~512 Mi in Node 20) of at
 * most 3 UTF-8 bytes a unit. A MEMTIDE_WALL_CLOCK_S=86400 run at 1 kHz (~40 B a sample, ~3.5 GB)
 * could not be written at all; anything it did write is at most this, so no good run is skipped.
 */
export const MAX_LEGACY_RUN_FILE_BYTES = 3 * bufferConstants.MAX_STRING_LENGTH;

/** A run file is a JSON object: anything else (zeros, a sparse file's holes) is refused at its first bytes. */
const looksLikeRun = (first: Buffer): string | undefined =>
  /^(\uFEFF)?\s*\{/.test(first.toString('utf8', 0, Math.min(first.length, 1024))) ? undefined : 'does not start like a JSON run (no "{")';

/** Files committed per transaction: each commit is an fsync, each record is held until then. */
const BATCH = 50;

/** The old layouts' run files under `dir`, as names relative to it. */
function candidateFiles(dir: string, problems: ImportProblem[]): string[] {
  const names: string[] = [];
  for (const sub of ['', 'runs']) {
    const where = sub ? join(dir, sub) : dir;
    if (sub) {
      try {
        if (!statSync(where).isDirectory()) {
          problems.push({ file: sub, error: 'not a directory: not read' });
          continue;
        }
      } catch {
        continue; // no runs/ directory: nothing from the default layout
      }
    }
    let entries: string[];
    try {
      entries = readdirSync(where);
    } catch (error) {
      problems.push({ file: sub || '.', error: (error as Error).message });
      continue;
    }
    for (const name of entries) {
      if (!name.endsWith('.json') || !RunId.safeParse(name.slice(0, -'.json'.length)).success) continue; // not a run file
      names.push(sub ? `${sub}/${name}` : name);
    }
  }
  return names.sort();
}

function readRun(dir: string, file: string): { ok: true; record: RunRecord } | { ok: false; error: string } {
  const parsed = readJsonFile(join(dir, file), MAX_LEGACY_RUN_FILE_BYTES, RunRecord, 'a run record', { head: looksLikeRun });
  if (!parsed.ok) return parsed;
  const id = file.slice(file.lastIndexOf('/') + 1, -'.json'.length);
  if (parsed.value.id !== id) return { ok: false, error: `holds run ${parsed.value.id}, not ${id}` };
  if (parsed.value.status === 'queued' || parsed.value.status === 'running') return { ok: false, error: `a run still ${parsed.value.status}: only ended runs are stored` };
  return { ok: true, record: parsed.value };
}

/** Imports every run file not imported before. Throws a StoreError when the database cannot take them. */
export function importLegacyRuns(store: RunStore): ImportResult {
  const problems: ImportProblem[] = [];
  const known = new Set(store.db.prepare('SELECT name FROM imported_files').pluck().all() as string[]);
  const files = candidateFiles(store.dir, problems).filter((f) => !known.has(f));
  const result: ImportResult = { imported: 0, alreadyThere: 0, problems };
  for (let i = 0; i < files.length; i += BATCH) {
    const batch: { file: string; record: RunRecord }[] = [];
    for (const file of files.slice(i, i + BATCH)) {
      const read = readRun(store.dir, file);
      if (read.ok) batch.push({ file, record: read.record });
      else problems.push({ file, error: read.error });
    }
    const counts = store.importRuns(batch);
    result.imported += counts.imported;
    result.alreadyThere += counts.alreadyThere;
  }
  return result;
}

/** The run store of a data directory, with the old JSON store's runs imported; says what it did. */
export function openRunStore(dir: string, log: (line: string) => void): RunStore {
  const store = new RunStore(dir);
  try {
    const { imported, alreadyThere, problems } = importLegacyRuns(store);
    // Skipped files are not remembered as imported: each start tries them again, so a file fixed or
    // replaced is imported then.
    for (const { file, error } of problems) {
      log(`memtide: skipped ${file} in ${store.dir}: ${error}. To import it, make it a whole run record (${MAX_LEGACY_RUN_FILE_BYTES} bytes at most) and start memtide again: skipped files are tried at every start (move it away to stop this message)`);
    }
    if (imported + alreadyThere > 0) {
      log(`memtide: imported ${imported} runs from the JSON files in ${store.dir} into ${store.file}${alreadyThere ? ` (${alreadyThere} were there already)` : ''}; the files are left as they were`);
    }
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

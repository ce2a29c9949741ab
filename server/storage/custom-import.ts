// The saved custom experiments of the files memtide kept before the database: one <id>.json each
// in <data>/custom-experiments, and before that in <data>/runs/custom-experiments (read only when
// the newer folder was never made: the old store copied the older folder into it when it made it,
// and one deleted since must not come back). Each start imports the files not imported yet, as
// legacy-import.ts does for runs: the names go in imported_custom_files, in the transaction that
// adds the rows, so a second start imports nothing twice and an experiment deleted later stays
// deleted. The files are left where they are; one that is not a readable saved experiment (a
// FIFO, a link to /dev/zero, a huge file, not JSON) is reported and skipped, never deleted.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SavedExperiment } from '../../shared/custom/code.js';
import type { ImportProblem } from './legacy-import.js';
import { CUSTOM_DIR, CustomStore, LEGACY_CUSTOM_DIR, MAX_SAVED } from './custom-store.js';
import type { RunStore } from './run-store.js';
import { readJsonFile } from './safe-read.js';

/** Far above what a saved experiment can be (3 × 64 KiB of code, JSON-escaped, and a little more). */
export const MAX_SAVED_FILE_BYTES = 2 * 1024 * 1024;
/** The old store's leftovers of a write cut short (`.tmp-<name>-<hex>`): not experiments. */
const TEMP_PREFIX = '.tmp-';
/** Files held in memory and committed at a time. */
const BATCH = 50;

export interface CustomImportResult {
  imported: number;
  /** Files whose experiment id the database had already (kept as it was there). */
  alreadyThere: number;
  problems: ImportProblem[];
}

/** The old folders' files, relative to the data directory ("custom-experiments/abc.json"). */
function candidateFiles(dataDir: string, problems: ImportProblem[]): string[] {
  const names: string[] = [];
  for (const sub of [CUSTOM_DIR, LEGACY_CUSTOM_DIR]) {
    let entries: string[];
    try {
      // lstat: a link to a folder elsewhere is not read, as the old store refused it (the folder is the data directory's own).
      const stats = lstatSync(join(dataDir, sub));
      if (!stats.isDirectory()) {
        problems.push({ file: sub, error: `${stats.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: not read` });
        continue;
      }
      entries = readdirSync(join(dataDir, sub));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // none: the usual case
      problems.push({ file: sub, error: (error as Error).message });
      continue;
    }
    for (const name of entries) if (name.endsWith('.json') && !name.startsWith(TEMP_PREFIX)) names.push(`${sub}/${name}`);
    if (sub === CUSTOM_DIR) break; // the older folder was copied into this one when it was made
  }
  return names.sort();
}

function readSaved(dataDir: string, file: string): { ok: true; experiment: SavedExperiment } | { ok: false; error: string } {
  const read = readJsonFile(join(dataDir, file), MAX_SAVED_FILE_BYTES, SavedExperiment, 'a saved experiment');
  if (!read.ok) return read;
  if (`${read.value.id}.json` !== file.slice(file.lastIndexOf('/') + 1)) return { ok: false, error: `holds experiment ${read.value.id}` };
  return { ok: true, experiment: read.value };
}

/** Imports every saved-experiment file not imported before. Throws a StoreError when the database cannot take them. */
export function importSavedFiles(store: RunStore, custom: CustomStore): CustomImportResult {
  const problems: ImportProblem[] = [];
  const known = new Set(store.db.prepare('SELECT name FROM imported_custom_files').pluck().all() as string[]);
  const remember = store.db.prepare('INSERT OR REPLACE INTO imported_custom_files (name, experiment_id, imported_at) VALUES (?, ?, ?)');
  const files = candidateFiles(store.dir, problems).filter((f) => !known.has(f));
  const result: CustomImportResult = { imported: 0, alreadyThere: 0, problems };
  for (let i = 0; i < files.length; i += BATCH) {
    const batch: { file: string; experiment: SavedExperiment }[] = [];
    for (const file of files.slice(i, i + BATCH)) {
      const read = readSaved(store.dir, file);
      if (read.ok) batch.push({ file, experiment: read.experiment });
      else problems.push({ file, error: read.error });
    }
    if (batch.length === 0) continue;
    const counts = custom.importSaved(batch, (file, id) => remember.run(file, id, Date.now()));
    result.imported += counts.imported;
    result.alreadyThere += counts.alreadyThere;
    for (const file of counts.overLimit) problems.push({ file, error: `there are already ${MAX_SAVED} saved experiments: not imported (delete some, then restart)` });
  }
  return result;
}

/** The saved experiments of a run store's database, with the old files imported; says what it did. */
export function openCustomStore(store: RunStore, log: (line: string) => void): CustomStore {
  const custom = new CustomStore(store, log);
  let result: CustomImportResult;
  try {
    result = importSavedFiles(store, custom);
  } catch (error) {
    // The server still starts (saving says why when it fails too); nothing was remembered, so the next start tries again.
    log(`memtide: the saved experiments' files in ${store.dir} were not imported: ${(error as Error).message}; they are left as they were and imported at the next start`);
    return custom;
  }
  const { imported, alreadyThere, problems } = result;
  for (const { file, error } of problems) log(`memtide: skipped ${file} in ${store.dir}: ${error}`);
  if (imported + alreadyThere > 0) {
    log(`memtide: imported ${imported} saved experiments from the JSON files in ${store.dir} into ${store.file}${alreadyThere ? ` (${alreadyThere} were there already)` : ''}; the files are left as they were`);
  }
  return custom;
}

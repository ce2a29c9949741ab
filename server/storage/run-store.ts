// Ended runs on disk, one JSON file per run. Writes are atomic (temp file, fsync, rename, fsync
// of the directory), so a kill -9 at any moment leaves either the old state or the new file,
// never half of one. Synchronous on purpose: a run is on disk before anyone is told it ended.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunId, RunRecord } from '../../shared/run-record.js';
import { describeZodError } from '../../shared/validation.js';
import { syncDir, TEMP_PREFIX, writeFileAtomic } from './atomic-file.js';

export const DEFAULT_DATA_DIR = '.memtide/runs';

export interface StoreProblem {
  file: string;
  error: string;
}

export interface StoreListing {
  records: RunRecord[];
  /** Files that could not be read as a run: reported and skipped, never fatal. */
  problems: StoreProblem[];
}

export class RunStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Writes the record atomically, replacing any earlier version of the same run. */
  save(record: RunRecord): void {
    const id = RunId.parse(record.id);
    writeFileAtomic(this.dir, `${id}.json`, JSON.stringify(record));
  }

  /** Every readable run, and what was wrong with the others. Leftover temp files are removed. */
  list(): StoreListing {
    const records: RunRecord[] = [];
    const problems: StoreProblem[] = [];
    for (const file of readdirSync(this.dir)) {
      if (file.startsWith(TEMP_PREFIX)) {
        rmSync(join(this.dir, file), { force: true }); // a write cut short by a crash
        continue;
      }
      const id = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
      if (!RunId.safeParse(id).success) continue; // not ours
      const result = this.read(id);
      if (result.ok) records.push(result.record);
      else problems.push({ file, error: result.error });
    }
    return { records, problems };
  }

  load(id: string): RunRecord | undefined {
    const result = RunId.safeParse(id).success ? this.read(id) : undefined;
    return result?.ok ? result.record : undefined;
  }

  /** Returns false when there was no such run; throws when the file is there but stays. */
  delete(id: string): boolean {
    if (!RunId.safeParse(id).success) return false;
    try {
      rmSync(this.path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    syncDir(this.dir);
    return true;
  }

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private read(id: string): { ok: true; record: RunRecord } | { ok: false; error: string } {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path(id), 'utf8'));
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    const parsed = RunRecord.safeParse(json);
    if (!parsed.success) return { ok: false, error: `not a run record: ${describeZodError(parsed.error)}` };
    if (parsed.data.id !== id) return { ok: false, error: `holds run ${parsed.data.id}, not ${id}` };
    return { ok: true, record: parsed.data };
  }
}

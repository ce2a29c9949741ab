// Saved custom experiments, stored with the runs: one JSON file each in <data dir>/custom-experiments,
// written atomically. Each file is checked against shared/custom/code.ts when read; one that is
// not a saved experiment is reported and skipped, like anything that is not a regular file of a
// sane size (a FIFO, a link to /dev/zero: safe-read.ts). When the folder itself cannot be used
// (a file by that name, no rights) that is reported and saving says why; the server still starts.
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SavedExperiment, SavedId, type SavedExperimentBody } from '../../shared/custom/code.js';
import { now } from '../../shared/units.js';
import { describeZodError } from '../../shared/validation.js';
import { syncDir, TEMP_PREFIX, writeFileAtomic } from './atomic-file.js';
import type { StoreProblem } from './run-store.js';
import { readRegularFile } from './safe-read.js';

export const CUSTOM_DIR = 'custom-experiments';
/** Where they were before the database: the default data directory was ./.memtide/runs, they sat in it. */
export const LEGACY_CUSTOM_DIR = join('runs', CUSTOM_DIR);
/** A bound on how many may be saved: each may hold 3 × 64 KiB of code. */
export const MAX_SAVED = 500;
/** Far above what a saved experiment can be (3 × 64 KiB of code, JSON-escaped, and a little more). */
export const MAX_SAVED_FILE_BYTES = 2 * 1024 * 1024;

export class CustomStore {
  readonly dir: string;
  readonly problems: StoreProblem[] = [];
  private readonly saved = new Map<string, SavedExperiment>();
  /** Why the folder cannot be used, when it cannot: writes are refused with it. */
  private readonly broken?: string;

  constructor(dataDir: string) {
    this.dir = resolve(dataDir, CUSTOM_DIR);
    try {
      const fresh = !existsSync(this.dir);
      mkdirSync(this.dir, { recursive: true });
      // Not a link to elsewhere either: the folder is the data directory's own.
      if (!lstatSync(this.dir).isDirectory()) throw new Error('not a directory');
      for (const file of readdirSync(this.dir)) {
        if (file.startsWith(TEMP_PREFIX)) rmSync(join(this.dir, file), { force: true });
        else if (file.endsWith('.json')) this.readFile(this.dir, file, CUSTOM_DIR);
      }
      if (fresh) this.copyLegacy(resolve(dataDir, LEGACY_CUSTOM_DIR));
    } catch (error) {
      const reason = (error as { code?: string }).code === 'EEXIST' ? 'not a directory' : (error as Error).message;
      this.broken = `${this.dir} cannot hold saved experiments (${reason}): move it away or fix its rights, then restart`;
      this.problems.push({ file: CUSTOM_DIR, error: this.broken });
    }
  }

  /** Newest first. */
  list(): SavedExperiment[] {
    return [...this.saved.values()].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id: string): SavedExperiment | undefined {
    return this.saved.get(id);
  }

  create(body: SavedExperimentBody): SavedExperiment | 'full' {
    if (this.saved.size >= MAX_SAVED) return 'full';
    const t = now();
    const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    return this.write({ ...body, id, createdAt: t, updatedAt: t });
  }

  /** undefined when there is no such experiment. */
  update(id: string, body: SavedExperimentBody): SavedExperiment | undefined {
    const old = this.saved.get(id);
    return old && this.write({ ...body, id, createdAt: old.createdAt, updatedAt: Math.max(now(), old.updatedAt + 1) });
  }

  delete(id: string): boolean {
    if (!this.saved.has(id)) return false;
    if (this.broken) throw new Error(this.broken);
    rmSync(join(this.dir, `${id}.json`), { force: true });
    syncDir(this.dir);
    this.saved.delete(id);
    return true;
  }

  private write(experiment: SavedExperiment): SavedExperiment {
    if (this.broken) throw new Error(this.broken);
    writeFileAtomic(this.dir, `${SavedId.parse(experiment.id)}.json`, JSON.stringify(experiment));
    this.saved.set(experiment.id, experiment);
    return experiment;
  }

  /**
   * Saved experiments of the old default layout (./.memtide/runs/custom-experiments) are copied
   * here when this folder is first made (so one deleted later does not come back); the old files
   * are left as they were.
   */
  private copyLegacy(legacy: string): void {
    let files: string[];
    try {
      if (!lstatSync(legacy).isDirectory()) return;
      files = readdirSync(legacy).filter((f) => f.endsWith('.json') && !f.startsWith(TEMP_PREFIX));
    } catch {
      return; // none: the usual case
    }
    for (const file of files) {
      if (this.saved.has(file.slice(0, -'.json'.length))) continue;
      const experiment = this.readFile(legacy, file, LEGACY_CUSTOM_DIR);
      if (experiment) writeFileAtomic(this.dir, file, JSON.stringify(experiment));
    }
  }

  /** Reads, checks and keeps one file; a problem is reported under `shown` (its folder as the user knows it). */
  private readFile(dir: string, file: string, shown: string): SavedExperiment | undefined {
    const name = `${shown}/${file}`;
    const read = readRegularFile(join(dir, file), MAX_SAVED_FILE_BYTES);
    if (!read.ok) return void this.problems.push({ file: name, error: read.error });
    let json: unknown;
    try {
      json = JSON.parse(read.text);
    } catch (error) {
      return void this.problems.push({ file: name, error: `not JSON (${(error as Error).message})` });
    }
    const parsed = SavedExperiment.safeParse(json);
    if (!parsed.success) return void this.problems.push({ file: name, error: `not a saved experiment: ${describeZodError(parsed.error)}` });
    if (`${parsed.data.id}.json` !== file) return void this.problems.push({ file: name, error: `holds experiment ${parsed.data.id}` });
    this.saved.set(parsed.data.id, parsed.data);
    return parsed.data;
  }
}

// Saved custom experiments, stored with the runs: one JSON file each in <data dir>/custom-experiments,
// written atomically. Each file is checked against shared/custom/code.ts when read; one that is
// not a saved experiment is reported and skipped.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SavedExperiment, SavedId, type SavedExperimentBody } from '../../shared/custom/code.js';
import { now } from '../../shared/units.js';
import { describeZodError } from '../../shared/validation.js';
import { syncDir, TEMP_PREFIX, writeFileAtomic } from './atomic-file.js';
import type { StoreProblem } from './run-store.js';

export const CUSTOM_DIR = 'custom-experiments';
/** A bound on how many may be saved: each may hold 3 × 64 KiB of code. */
export const MAX_SAVED = 500;

export class CustomStore {
  readonly dir: string;
  readonly problems: StoreProblem[] = [];
  private readonly saved = new Map<string, SavedExperiment>();

  constructor(dataDir: string) {
    this.dir = resolve(dataDir, CUSTOM_DIR);
    mkdirSync(this.dir, { recursive: true });
    for (const file of readdirSync(this.dir)) {
      if (file.startsWith(TEMP_PREFIX)) rmSync(join(this.dir, file), { force: true });
      else if (file.endsWith('.json')) this.readFile(file);
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
    rmSync(join(this.dir, `${id}.json`), { force: true });
    syncDir(this.dir);
    this.saved.delete(id);
    return true;
  }

  private write(experiment: SavedExperiment): SavedExperiment {
    writeFileAtomic(this.dir, `${SavedId.parse(experiment.id)}.json`, JSON.stringify(experiment));
    this.saved.set(experiment.id, experiment);
    return experiment;
  }

  private readFile(file: string): void {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(this.dir, file), 'utf8'));
    } catch (error) {
      return void this.problems.push({ file, error: (error as Error).message });
    }
    const parsed = SavedExperiment.safeParse(json);
    if (!parsed.success) return void this.problems.push({ file, error: `not a saved experiment: ${describeZodError(parsed.error)}` });
    if (`${parsed.data.id}.json` !== file) return void this.problems.push({ file, error: `holds experiment ${parsed.data.id}` });
    this.saved.set(parsed.data.id, parsed.data);
  }
}

// Saved custom experiments, stored with the runs: one row each in the database's
// custom_experiments table (schema.ts), so every process on the data directory (the server, a
// CLI, the sqlite3 shell) reads the same ones. Nothing is cached: each read asks the database,
// which holds at most MAX_SAVED small rows. The row's `experiment` JSON is the source of truth and
// is checked against shared/custom/code.ts when read; a row that fails is reported once and
// skipped, never deleted. Every write is one transaction; one that fails (a full disk, a read-only
// file) throws a StoreError saying why, and the API answers with it (custom-api.ts).
import { randomBytes } from 'node:crypto';
import { SavedExperiment, SavedId, type SavedExperimentBody } from '../../shared/custom/code.js';
import { now } from '../../shared/units.js';
import { describeZodError } from '../../shared/validation.js';
import type { RunStore } from './run-store.js';
import { storeError } from './store-errors.js';

/** Where they were before the database: one <id>.json each (custom-import.ts reads them once). */
export const CUSTOM_DIR = 'custom-experiments';
/** Older still: the default data directory was ./.memtide/runs, and they sat in it. */
export const LEGACY_CUSTOM_DIR = `runs/${CUSTOM_DIR}`;
/** A bound on how many may be saved: each may hold 3 × 64 KiB of code. */
export const MAX_SAVED = 500;

interface Row {
  id: string;
  experiment: string;
}

export class CustomStore {
  readonly file: string;
  private readonly db: RunStore['db'];
  private readonly statements;
  /** Rows already reported as damaged: said once per process, not at every list. */
  private readonly reported = new Set<string>();

  /** `log` hears of rows that are not saved experiments any more (left in the database as they are). */
  constructor(store: RunStore, private readonly log: (line: string) => void = console.warn) {
    this.db = store.db;
    this.file = store.file;
    const db = this.db;
    this.statements = {
      all: db.prepare('SELECT id, experiment FROM custom_experiments ORDER BY updated_at DESC, id'),
      one: db.prepare('SELECT id, experiment FROM custom_experiments WHERE id = ?'),
      count: db.prepare('SELECT count(*) FROM custom_experiments').pluck(),
      insert: db.prepare(`INSERT INTO custom_experiments (id, name, runtime, created_at, updated_at, experiment)
        VALUES (@id, @name, @runtime, @created_at, @updated_at, @experiment)`),
      replace: db.prepare(`UPDATE custom_experiments SET name = @name, runtime = @runtime, created_at = @created_at,
        updated_at = @updated_at, experiment = @experiment WHERE id = @id`),
      delete: db.prepare('DELETE FROM custom_experiments WHERE id = ?'),
    };
  }

  /** Newest first; damaged rows left out (and reported). */
  list(): SavedExperiment[] {
    return this.read('list saved experiments', () => (this.statements.all.all() as Row[]).flatMap((row) => this.fromRow(row) ?? []));
  }

  get(id: string): SavedExperiment | undefined {
    if (!SavedId.safeParse(id).success) return undefined;
    return this.read(`read saved experiment ${id}`, () => this.one(id));
  }

  create(body: SavedExperimentBody): SavedExperiment | 'full' {
    const t = now();
    const experiment = { ...body, id: `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, createdAt: t, updatedAt: t };
    // Counted inside the write transaction: two processes cannot both add the 500th.
    return this.write(`save experiment ${experiment.id}`, () => {
      if ((this.statements.count.get() as number) >= MAX_SAVED) return 'full';
      this.statements.insert.run(row(experiment));
      return experiment;
    });
  }

  /** undefined when there is no such experiment. */
  update(id: string, body: SavedExperimentBody): SavedExperiment | undefined {
    if (!SavedId.safeParse(id).success) return undefined;
    return this.write(`save experiment ${id}`, () => {
      const old = this.one(id);
      if (!old) return undefined;
      const experiment = { ...body, id, createdAt: old.createdAt, updatedAt: Math.max(now(), old.updatedAt + 1) };
      this.statements.replace.run(row(experiment));
      return experiment;
    });
  }

  /** false when there was no such experiment. */
  delete(id: string): boolean {
    if (!SavedId.safeParse(id).success) return false;
    return this.write(`delete experiment ${id}`, () => this.statements.delete.run(id).changes > 0);
  }

  /**
   * Saved experiments read from the old files (custom-import.ts), in one transaction: an id that
   * is here already is left as it is, and none is added beyond MAX_SAVED. `remember` records each
   * file taken, inside the same transaction, so a file is imported exactly once.
   */
  importSaved(entries: readonly { file: string; experiment: SavedExperiment }[], remember: (file: string, id: string) => void): { imported: number; alreadyThere: number; overLimit: string[] } {
    return this.write('import saved experiments', () => {
      let imported = 0;
      let alreadyThere = 0;
      const overLimit: string[] = [];
      for (const { file, experiment } of entries) {
        if (this.statements.one.get(experiment.id)) alreadyThere++;
        else if ((this.statements.count.get() as number) >= MAX_SAVED) {
          overLimit.push(file); // not remembered: imported at a later start, once there is room
          continue;
        } else {
          this.statements.insert.run(row(experiment));
          imported++;
        }
        remember(file, experiment.id);
      }
      return { imported, alreadyThere, overLimit };
    });
  }

  private one(id: string): SavedExperiment | undefined {
    const found = this.statements.one.get(id) as Row | undefined;
    return found && this.fromRow(found);
  }

  private fromRow({ id, experiment }: Row): SavedExperiment | undefined {
    let problem: string;
    try {
      const parsed = SavedExperiment.safeParse(JSON.parse(experiment));
      if (parsed.success && parsed.data.id === id) return parsed.data;
      problem = parsed.success ? `holds experiment ${parsed.data.id}` : `not a saved experiment: ${describeZodError(parsed.error)}`;
    } catch (error) {
      problem = `not JSON (${(error as Error).message})`;
    }
    const line = `memtide: skipped saved experiment ${id} in ${this.file}: ${problem}; its row is left as it is`;
    if (!this.reported.has(line)) this.log(line);
    this.reported.add(line);
    return undefined;
  }

  private write<T>(doing: string, body: () => T): T {
    try {
      return this.db.transaction(body).immediate();
    } catch (error) {
      throw storeError(error, this.file, doing);
    }
  }

  private read<T>(doing: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw storeError(error, this.file, doing);
    }
  }
}

/** The table's row: the columns a sqlite3 user queries, and the whole experiment as JSON. */
function row(experiment: SavedExperiment) {
  return {
    id: SavedId.parse(experiment.id),
    name: experiment.name,
    runtime: experiment.runtime,
    created_at: experiment.createdAt,
    updated_at: experiment.updatedAt,
    experiment: JSON.stringify(experiment),
  };
}

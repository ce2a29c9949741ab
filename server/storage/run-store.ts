// Ended runs in an SQLite database in the data directory (MEMTIDE_DATA, ./.memtide by default):
// one transaction per run, committed (WAL, synchronous FULL) before save() returns, so a run is on
// disk before anyone is told it ended and a kill -9 at any moment loses no ended run. Several
// processes may use one database: each write also appends to `changes`, which the others poll
// (change-feed.ts). Errors come out as StoreErrors that say what to do (store-errors.ts).
import type Database from 'better-sqlite3';
import { RunId, type RunInfo, type RunRecord } from '../../shared/run-record.js';
import { openDatabase, prepareDataDir, type OpenOptions } from './open-database.js';
import { dataRow, infoFromRow, recordFromRows, recordJsonParts, runRow, type DataRow, type RecordJsonParts } from './record-rows.js';
import { filterSql, pageSql, type DbPageRuns, type PageSpec } from './run-query.js';
import { CHANGES_KEPT } from './schema.js';
import { storeError, StoreError } from './store-errors.js';

export const DEFAULT_DATA_DIR = '.memtide';

export type ChangeKind = 'saved' | 'deleted';
export interface Change {
  rev: number;
  runId: string;
  change: ChangeKind;
  /** The process that made it (for the sqlite3 shell: two containers may both be pid 1, so own changes are told by rev, ownChange()). */
  pid: number;
}

export interface DbPage extends DbPageRuns {
  /** Rows of this page that are not runs any more (damaged): left out, and said. */
  damaged: { id: string; error: string }[];
}

export class RunStore {
  readonly dir: string;
  readonly file: string;
  readonly db: Database.Database;
  private readonly statements;
  /** Revs of this store's own committed changes not yet passed by its change feed (change-feed.ts). */
  private readonly ownRevs = new Set<number>();
  /** Revs of the transaction under way: own only once it commits (a rolled-back rev may be another's later). */
  private pendingRevs: number[] = [];

  constructor(dir: string, options: OpenOptions = {}) {
    this.dir = prepareDataDir(dir, !options.readonly);
    ({ db: this.db, file: this.file } = openDatabase(this.dir, options));
    const db = this.db;
    this.statements = {
      insertRun: db.prepare(`INSERT INTO runs (id, kind, experiment, runtime, status, created_at, ended_at, sample_hz, sample_count, overall_pct, final_pct, verdict, error, search, info)
        VALUES (@id, @kind, @experiment, @runtime, @status, @created_at, @ended_at, @sample_hz, @sample_count, @overall_pct, @final_pct, @verdict, @error, @search, @info)`),
      insertData: db.prepare(`INSERT INTO run_data (seq, samples_codec, samples, phases, breakdowns, heap, extra)
        VALUES (@seq, @samples_codec, @samples, @phases, @breakdowns, @heap, @extra)`),
      deleteRun: db.prepare('DELETE FROM runs WHERE id = ?'),
      addChange: db.prepare('INSERT INTO changes (run_id, change, at, pid) VALUES (?, ?, ?, ?)'),
      pruneChanges: db.prepare('DELETE FROM changes WHERE rev <= ?'),
      info: db.prepare('SELECT id, info FROM runs WHERE id = ?'),
      sampleCount: db.prepare('SELECT sample_count FROM runs WHERE id = ?').pluck(),
      data: db.prepare('SELECT samples_codec, samples, phases, breakdowns, heap, extra FROM run_data WHERE seq = (SELECT seq FROM runs WHERE id = ?)'),
      changes: db.prepare('SELECT rev, run_id AS runId, change, pid FROM changes WHERE rev > ? ORDER BY rev LIMIT 1000'),
      lastRev: db.prepare('SELECT coalesce(max(rev), 0) FROM changes').pluck(),
      all: db.prepare('SELECT id, info FROM runs ORDER BY created_at DESC, id DESC'),
      // Both through the partial index runs_by_matrix (schema.ts).
      matrixRuns: db.prepare("SELECT id, info FROM runs WHERE json_extract(info, '$.matrixId') IS NOT NULL ORDER BY created_at DESC"),
      matrixRunsOf: db.prepare("SELECT id, info FROM runs WHERE json_extract(info, '$.matrixId') IS NOT NULL AND json_extract(info, '$.matrixId') = ? ORDER BY created_at DESC"),
    };
  }

  /**
   * Writes an ended run, replacing an earlier version of it, in one transaction that is on disk
   * when this returns. Throws a StoreError (kind 'full' when the disk is) and changes nothing then.
   */
  save(record: RunRecord): void {
    const id = RunId.parse(record.id);
    const row = runRow(record);
    const data = dataRow(record);
    this.write('store run ' + id, () => {
      this.statements.deleteRun.run(id);
      const { lastInsertRowid } = this.statements.insertRun.run(row);
      this.statements.insertData.run({ seq: lastInsertRowid, ...data });
      this.change(id, 'saved');
    });
  }

  /**
   * The old JSON store's runs, in one transaction: a run whose id is already here is left as it
   * is; every file is remembered in imported_files so it is never imported again. A file already
   * there is passed over inside the transaction: another process (a CLI and a server starting
   * together) may have imported it since the caller looked, and its run been deleted since.
   */
  importRuns(entries: readonly { file: string; record: RunRecord }[]): { imported: number; alreadyThere: number } {
    if (entries.length === 0) return { imported: 0, alreadyThere: 0 };
    const rows = entries.map(({ file, record }) => ({ file, id: RunId.parse(record.id), row: runRow(record), data: () => dataRow(record) }));
    const remember = this.db.prepare('INSERT OR REPLACE INTO imported_files (name, run_id, imported_at) VALUES (?, ?, ?)');
    const importedBefore = this.db.prepare('SELECT 1 FROM imported_files WHERE name = ?');
    return this.write('import runs', () => {
      let imported = 0;
      let passed = 0;
      for (const { file, id, row, data } of rows) {
        if (importedBefore.get(file)) {
          passed++;
          continue;
        }
        if (!this.statements.info.get(id)) {
          const { lastInsertRowid } = this.statements.insertRun.run(row);
          this.statements.insertData.run({ seq: lastInsertRowid, ...data() });
          this.change(id, 'saved');
          imported++;
        }
        remember.run(file, id, Date.now());
      }
      return { imported, alreadyThere: rows.length - imported - passed };
    });
  }

  /** Returns false when there was no such run. */
  delete(id: string): boolean {
    if (!RunId.safeParse(id).success) return false;
    return this.write('delete run ' + id, () => {
      const { changes } = this.statements.deleteRun.run(id);
      if (changes > 0) this.change(id, 'deleted');
      return changes > 0;
    });
  }

  /** The full record, or undefined when there is no such run; throws when the stored run is damaged. */
  load(id: string): RunRecord | undefined {
    return this.loadRows(id, recordFromRows);
  }

  /** The run checked but for its samples, ready to write as JSON (GET /api/runs/:id's body: record-json.ts). */
  loadJsonParts(id: string): RecordJsonParts | undefined {
    return this.loadRows(id, recordJsonParts);
  }

  private loadRows<T>(id: string, build: (row: { id: string; info: string }, data: DataRow) => T): T | undefined {
    if (!RunId.safeParse(id).success) return undefined;
    return this.snapshot(`read run ${id}`, () => {
      const row = this.statements.info.get(id) as { id: string; info: string } | undefined;
      if (!row) return undefined;
      const data = this.statements.data.get(id) as DataRow | undefined;
      if (!data) throw new StoreError('damaged', `run ${id}: its row in run_data is missing`);
      return build(row, data);
    });
  }

  info(id: string): RunInfo | undefined {
    if (!RunId.safeParse(id).success) return undefined;
    return this.read(`read run ${id}`, () => {
      const row = this.statements.info.get(id) as { id: string; info: string } | undefined;
      return row && infoFromRow(row);
    });
  }

  /** How many RSS samples a stored run has, or undefined when there is no such run. */
  sampleCount(id: string): number | undefined {
    if (!RunId.safeParse(id).success) return undefined;
    return this.read(`read run ${id}`, () => this.statements.sampleCount.get(id) as number | undefined);
  }

  /** The runs of one page (up to limit + 1, so the caller can tell there are more) and how many match. */
  page(spec: PageSpec): DbPage {
    return this.snapshot('list runs', () => {
      const { sql, params } = pageSql(spec);
      const rows = this.db.prepare(sql).all(...params) as { id: string; info: string; created_at: number; overall_pct: number | null }[];
      const count = filterSql(spec);
      const total = this.db.prepare(`SELECT count(*) FROM runs WHERE ${count.where}`).pluck().get(...count.params) as number;
      const runs: RunInfo[] = [];
      const damaged: DbPage['damaged'] = [];
      for (const row of rows) {
        try {
          runs.push(infoFromRow(row));
        } catch (error) {
          damaged.push({ id: row.id, error: (error as Error).message });
        }
      }
      const lastRow = rows.at(-1);
      const last = lastRow && { sort: spec.sort, order: spec.order, id: lastRow.id, key: spec.sort === 'date' ? lastRow.created_at : lastRow.overall_pct };
      return { runs, total, more: rows.length > spec.limit, ...(last && { last }), damaged, damagedCount: damaged.length };
    });
  }

  /** Every stored run, newest first; a damaged row is left out and given to `damaged`. */
  all(damaged: (id: string, error: string) => void): RunInfo[] {
    return this.read('list runs', () => infosOf(this.statements.all.all() as { id: string; info: string }[], damaged));
  }

  /** The stored runs of one allocator matrix, or of every matrix (shared/matrix.ts: a matrix is its runs). */
  matrixRuns(matrixId: string | undefined, damaged: (id: string, error: string) => void): RunInfo[] {
    return this.read('list matrix runs', () => {
      const rows = (matrixId === undefined ? this.statements.matrixRuns.all() : this.statements.matrixRunsOf.all(matrixId)) as { id: string; info: string }[];
      return infosOf(rows, damaged);
    });
  }

  /** Changes after `rev`, oldest first (at most 1000 at a time). */
  changesSince(rev: number): Change[] {
    return this.read('read changes', () => this.statements.changes.all(rev) as Change[]);
  }

  lastRev(): number {
    return this.read('read changes', () => this.statements.lastRev.get() as number);
  }

  /**
   * True (once) when the change at `rev` was written by this store: its feed skips it, as this
   * process told its clients already. Not by pid, which two containers on one directory may share.
   */
  ownChange(rev: number): boolean {
    return this.ownRevs.delete(rev);
  }

  /** Bumped by SQLite whenever another connection commits (not for this one's own commits). */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Folds the WAL back into the database file (at shutdown: the next start reads one file). */
  close(): void {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process may hold a read transaction, or the disk be full: the WAL stays, harmlessly.
    }
    this.db.close();
  }

  private change(id: string, change: 'saved' | 'deleted'): void {
    const { lastInsertRowid } = this.statements.addChange.run(id, change, Date.now(), process.pid);
    const rev = Number(lastInsertRowid);
    this.pendingRevs.push(rev);
    if (rev % 1000 === 0) this.statements.pruneChanges.run(rev - CHANGES_KEPT);
  }

  private write<T>(doing: string, body: () => T): T {
    this.pendingRevs = [];
    try {
      const result = this.db.transaction(body).immediate();
      for (const rev of this.pendingRevs) this.ownRevs.add(rev);
      // A store without a feed (a CLI) never passes them: only as many as the table keeps matter.
      for (const rev of this.ownRevs) {
        if (this.ownRevs.size <= CHANGES_KEPT) break;
        this.ownRevs.delete(rev);
      }
      return result;
    } catch (error) {
      throw storeError(error, this.file, doing);
    } finally {
      this.pendingRevs = [];
    }
  }

  /**
   * Reads that must agree (a page's rows and its count; a run's two rows) in one deferred
   * transaction: one snapshot, so another process's commit between them cannot split them.
   */
  private snapshot<T>(doing: string, body: () => T): T {
    return this.read(doing, () => this.db.transaction(body).deferred());
  }

  private read<T>(doing: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw error instanceof StoreError ? error : storeError(error, this.file, doing);
    }
  }
}

function infosOf(rows: readonly { id: string; info: string }[], damaged: (id: string, error: string) => void): RunInfo[] {
  const runs: RunInfo[] = [];
  for (const row of rows) {
    try {
      runs.push(infoFromRow(row));
    } catch (error) {
      damaged(row.id, (error as Error).message);
    }
  }
  return runs;
}

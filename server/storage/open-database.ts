// The data directory (MEMTIDE_DATA) and the database in it, opened with the settings every
// connection needs. Anything odd about them — a regular file where the directory should be, a
// directory nobody may write, a FIFO or a device named like the database, a file that is not a
// memtide database — stops here with a StoreError that says what and where, before SQLite could
// block on it or memtide could write over it.
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { recoveryAdvice, storeError, StoreError } from './store-errors.js';

export const DATABASE_FILE = 'memtide.db';

/** How long a write waits for another process's transaction (SQLite's busy timeout, ms). */
export const BUSY_TIMEOUT_MS = 5000;

const fileKind = (s: Stats): string =>
  s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isDirectory() ? 'a directory' : 'not a regular file';

const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path); // follows symlinks: a link to /dev/zero is a character device
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new StoreError('setup', `cannot use ${path}: a part of that path is a file, not a directory; set MEMTIDE_DATA to a directory memtide may write`);
    throw new StoreError('setup', `cannot look at ${path}: ${(error as Error).message}`);
  }
};

/** Makes sure `dir` is a directory this process can write, creating it when missing. */
export function prepareDataDir(dir: string, writable = true): string {
  const full = resolve(dir);
  const stats = statOrUndefined(full);
  if (stats && !stats.isDirectory()) {
    throw new StoreError('setup', `MEMTIDE_DATA ${full} is ${stats.isFile() ? 'a regular file' : fileKind(stats)}, not a directory: point MEMTIDE_DATA at a directory (memtide keeps ${DATABASE_FILE} in it)`);
  }
  if (!stats) {
    if (!writable) throw new StoreError('setup', `MEMTIDE_DATA ${full} does not exist`);
    try {
      mkdirSync(full, { recursive: true });
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of that path is a file, not a directory' : code === 'EROFS' ? 'the file system is read-only' : code === 'EACCES' ? 'permission denied' : message;
      throw new StoreError('setup', `cannot create the data directory ${full}: ${why}; set MEMTIDE_DATA to a directory memtide may write`);
    }
  }
  if (writable) {
    try {
      accessSync(full, constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EROFS' ? 'its file system is read-only' : 'this user may not write to it';
      throw new StoreError('setup', `the data directory ${full} is not writable (${why}); memtide stores runs there: make it writable or set MEMTIDE_DATA to another directory`);
    }
  }
  return full;
}

/** The database file and SQLite's side files must be regular files (or absent): never a FIFO or a device. */
function checkFiles(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    const stats = statOrUndefined(path);
    if (stats && !stats.isFile()) throw new StoreError('setup', `${path} is ${fileKind(stats)}, not a database file: memtide will not open it; move it away`);
  }
}

export interface OpenOptions {
  readonly?: boolean;
}

/** Opens (creating when needed) the database in a data directory, schema in place. */
export function openDatabase(dir: string, options: OpenOptions = {}): { db: Database.Database; file: string } {
  const file = join(dir, DATABASE_FILE);
  checkFiles(file);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, timeout: BUSY_TIMEOUT_MS, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw storeError(error, file, 'open the database');
  }
  try {
    // Checked read-only first (the first statement reads the header: a file that is not a database
    // fails here): another application's database is refused as it was found, not switched to WAL.
    checkSchema(db, file, true);
    if (!options.readonly) db.pragma('journal_mode = WAL');
    // Every commit is on disk when it returns: a run is stored before anyone is told it ended.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    checkSchema(db, file, options.readonly ?? false);
    if (!options.readonly) fillWatchVerdicts(db);
  } catch (error) {
    db.close();
    throw storeError(error, file, 'open the database');
  }
  return { db, file };
}

function checkSchema(db: Database.Database, file: string, readonly: boolean): void {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
  if (tables.length > 0 && !tables.includes('meta')) {
    throw new StoreError('damaged', `${file} is an SQLite database, but not memtide's (it has no meta table). ${recoveryAdvice(file)}`);
  }
  const version = tables.includes('meta') ? Number(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() ?? 0) : 0;
  if (version > SCHEMA_VERSION) {
    throw new StoreError('setup', `${file} was written by a newer memtide (schema ${version}; this one reads up to ${SCHEMA_VERSION}): update memtide, or set MEMTIDE_DATA to another directory`);
  }
  if (readonly || version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  }).immediate();
}

/**
 * Watches stored before the verdict column held theirs (a watch has no summary; its verdict is in
 * info.watch): filled in place — idempotent, so no schema version for it. Asked first: an UPDATE
 * that changes nothing would still wait for another process's write.
 */
function fillWatchVerdicts(db: Database.Database): void {
  const missing = "kind = 'watch' AND verdict IS NULL AND json_extract(info, '$.watch.verdict.verdict') IS NOT NULL";
  if (db.prepare(`SELECT 1 FROM runs WHERE ${missing} LIMIT 1`).get() === undefined) return;
  db.prepare(`UPDATE runs SET verdict = json_extract(info, '$.watch.verdict.verdict') WHERE ${missing}`).run();
}

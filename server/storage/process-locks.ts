// Who may do what on one data directory, between processes: one server at a time (a second is
// refused, saying which one is there), and one run at a time whoever starts it (a server's queue
// and CLI runs take turns). Each lock is SQLite's own exclusive lock on a side file, held for as
// long as the connection stays open: the kernel drops it when the process dies, kill -9 included,
// so there is no stale lock to clean up. Who holds it is written in the database's `holders`.
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RunStore } from './run-store.js';
import { storeError, StoreError } from './store-errors.js';

export type LockName = 'server' | 'run';

export interface Holder {
  pid: number;
  host: string;
  /** "server http://127.0.0.1:5177", "CLI run seed-strings". */
  what: string;
  since: number;
}

/** Takes the lock now or says no (never waits); throws a StoreError when the file cannot be made. */
function takeFileLock(file: string): Database.Database | undefined {
  checkLockFile(file);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (error) {
    throw storeError(error, file, 'create a lock file');
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = OFF'); // nothing is ever written: no journal, so a full disk cannot stop it
    db.exec('BEGIN EXCLUSIVE; COMMIT'); // in EXCLUSIVE mode the lock outlives the transaction
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return undefined;
    throw storeError(error, file, 'take a lock');
  }
}

/**
 * A lock file must be a regular file (or absent): SQLite would open a FIFO named server.lock and
 * block in it forever, hanging the start; a device is not ours to lock. stat() follows links.
 */
function checkLockFile(file: string): void {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // made by SQLite below
    throw storeError(error, file, 'look at a lock file');
  }
  if (!stats.isFile()) {
    const kind = stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isDirectory() ? 'a directory' : 'not a regular file';
    throw new StoreError('setup', `the lock file ${file} is ${kind}, not a regular file: memtide will not open it; move it away (memtide makes it again)`);
  }
}

export const describeHolder = (h: Holder): string =>
  `${h.what} (pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}, since ${new Date(h.since).toLocaleTimeString()})`;

export class ProcessLock {
  private db?: Database.Database;

  constructor(
    private readonly store: RunStore,
    readonly name: LockName,
  ) {}

  get held(): boolean {
    return this.db !== undefined;
  }

  /** True when this process holds the lock now (taken, or already held). */
  take(what: string): boolean {
    if (this.db) return true;
    this.db = takeFileLock(join(this.store.dir, `${this.name}.lock`));
    if (!this.db) return false;
    this.announce(what);
    return true;
  }

  /** Says what this process, holding the lock, is doing (for the messages of those refused). */
  announce(what: string): void {
    try {
      this.store.db.prepare('INSERT OR REPLACE INTO holders (lock, pid, host, what, since) VALUES (?, ?, ?, ?, ?)')
        .run(this.name, process.pid, hostname(), what, Date.now());
    } catch {
      // Who holds it is only for messages: a full disk must not stop a run from starting.
    }
  }

  /** Says who holds it now (the last to take it), when another process does. */
  holder(): Holder | undefined {
    try {
      return this.store.db.prepare('SELECT pid, host, what, since FROM holders WHERE lock = ?').get(this.name) as Holder | undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    this.db?.close();
    this.db = undefined;
  }
}

// Ended runs the database could not take (a full disk, mostly): kept in memory, marked with why
// (RunInfo.unsaved, which the run's end message, the history and the status line show), and
// written as soon as a retry works. Nothing here ever reports an unwritten run as stored.
// Only what can pass is retried (a full disk, a lock, an I/O error, a file made read-only): a
// damaged database is never written again by this process — every write could spread the damage
// (store-errors.ts promises the file is left as it was) — so the runs stay in memory, the advice
// is logged once, and new runs are refused (refusal()) until memtide restarts on a sound file.
import type { RunInfo, RunRecord } from '../../shared/run-record.js';
import { runInfo } from '../../shared/run-record.js';
import type { RunStore } from './run-store.js';
import { StoreError, type StoreErrorKind } from './store-errors.js';

/** Errors that time or the user can clear while memtide runs: those writes are tried again. */
const RETRIED: ReadonlySet<StoreErrorKind> = new Set(['full', 'busy', 'io', 'read-only']);

export const RETRY_MS = 2000;
/** Past this many, new runs are refused: their records would only pile up in memory. */
export const MAX_UNSAVED = 10;

export interface UnsavedHooks {
  /** A run that waited is in the database now (its info no longer says unsaved). */
  stored(info: RunInfo): void;
  /** The list of waiting runs changed. */
  changed(unsaved: RunInfo[]): void;
  log(line: string): void;
}

export class UnsavedRuns {
  private readonly records = new Map<string, RunRecord>();
  private timer?: NodeJS.Timeout;
  /** Why nothing is written any more (the database is damaged), once it is known. */
  private halted?: string;

  constructor(
    private readonly store: RunStore,
    private readonly hooks: UnsavedHooks,
    private readonly retryMs = RETRY_MS,
  ) {}

  /**
   * Writes the record now. When that fails it is kept, its `unsaved` says why, and it is retried
   * every retryMs; either way the record is returned as it must be told.
   */
  save(record: RunRecord): RunRecord {
    const error = this.halted === undefined ? this.tryStore(record) : undefined;
    if (this.halted === undefined && !error) {
      if (this.records.size > 0) this.retry(); // space is back: the older ones too
      return record;
    }
    const kept = { ...record, unsaved: this.halted ?? error!.message };
    this.records.set(kept.id, kept);
    if (this.halted === undefined && error && !RETRIED.has(error.kind)) this.halt(error);
    if (this.halted !== undefined) {
      this.hooks.log(`memtide: run ${kept.id} is NOT stored: the database is damaged; it is kept in memory until this process ends (GET /api/runs/${kept.id} or --json has the record)`);
    } else {
      this.hooks.log(`memtide: run ${kept.id} is NOT stored: ${kept.unsaved}. It is kept in memory and written as soon as that works (retrying every ${this.retryMs / 1000} s)`);
      this.timer ??= setInterval(() => this.retry(), this.retryMs);
      this.timer.unref(); // a process exits when its work is done; the exit path says what stays unsaved
    }
    this.hooks.changed(this.infos());
    return kept;
  }

  /** Why new runs must not start (their records could not be stored), or undefined. */
  refusal(): string | undefined {
    return this.halted && `the run database is damaged, so no run can be stored: ${this.halted}`;
  }

  get(id: string): RunRecord | undefined {
    return this.records.get(id);
  }

  infos(): RunInfo[] {
    return [...this.records.values()].map(runInfo);
  }

  get size(): number {
    return this.records.size;
  }

  /** Forgets a waiting run (the user deleted it). */
  delete(id: string): boolean {
    const had = this.records.delete(id);
    if (had) this.settle();
    return had;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Oldest first, stopping at the first that still fails (the disk is still full). */
  retry(): void {
    if (this.halted !== undefined) return;
    let changed = false;
    for (const record of [...this.records.values()]) {
      const { unsaved: _why, ...stored } = record;
      const error = this.tryStore(stored);
      if (error) {
        if (!RETRIED.has(error.kind)) this.halt(error);
        break;
      }
      this.records.delete(record.id);
      changed = true;
      this.hooks.log(`memtide: run ${record.id} is stored now`);
      this.hooks.stored(runInfo(stored));
    }
    if (changed) this.settle();
  }

  /** Stops every write, once: said with the recovery advice (in the error's message, store-errors.ts). */
  private halt(error: StoreError): void {
    this.halted = error.message;
    this.stop();
    this.hooks.log(`memtide: ${error.message} memtide writes no more runs into it: ended runs stay in memory, unsaved, and new runs are refused until memtide is restarted on a sound database.`);
  }

  private settle(): void {
    if (this.records.size === 0) this.stop();
    this.hooks.changed(this.infos());
  }

  private tryStore(record: RunRecord): StoreError | undefined {
    try {
      this.store.save(record);
      return undefined;
    } catch (error) {
      return error instanceof StoreError ? error : new StoreError('io', (error as Error).message);
    }
  }
}

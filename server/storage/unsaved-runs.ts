// Ended runs the database could not take (a full disk, mostly): kept in memory, marked with why
// (RunInfo.unsaved, which the run's end message, the history and the status line show), and
// written as soon as a retry works. Nothing here ever reports an unwritten run as stored.
import type { RunInfo, RunRecord } from '../../shared/run-record.js';
import { runInfo } from '../../shared/run-record.js';
import type { RunStore } from './run-store.js';

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
    const error = this.tryStore(record);
    if (!error) {
      if (this.records.size > 0) this.retry(); // space is back: the older ones too
      return record;
    }
    const kept = { ...record, unsaved: error };
    this.records.set(kept.id, kept);
    this.hooks.log(`memtide: run ${kept.id} is NOT stored: ${error}. It is kept in memory and written as soon as that works (retrying every ${this.retryMs / 1000} s)`);
    this.hooks.changed(this.infos());
    this.timer ??= setInterval(() => this.retry(), this.retryMs);
    this.timer.unref(); // a process exits when its work is done; the exit path says what stays unsaved
    return kept;
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
    let changed = false;
    for (const record of [...this.records.values()]) {
      const { unsaved: _why, ...stored } = record;
      if (this.tryStore(stored)) break;
      this.records.delete(record.id);
      changed = true;
      this.hooks.log(`memtide: run ${record.id} is stored now`);
      this.hooks.stored(runInfo(stored));
    }
    if (changed) this.settle();
  }

  private settle(): void {
    if (this.records.size === 0) this.stop();
    this.hooks.changed(this.infos());
  }

  private tryStore(record: RunRecord): string | undefined {
    try {
      this.store.save(record);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

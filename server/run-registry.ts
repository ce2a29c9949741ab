// Every run the server knows of: the one running, a bounded queue of runs waiting for it, and the
// ended runs, each stored in the database by RunStore (ended(), the one way a run ends) before
// anyone is told it ended — or, when it cannot be, told as unsaved and kept until it can
// (storage/unsaved-runs.ts). Requests come in already checked (run-request.ts parseRunRequest).
import type { RunListPage, RunListQuery } from '../shared/protocol/http.js';
import { runInfo, type RunInfo, type RunRecord } from '../shared/run-record.js';
import { now } from '../shared/units.js';
import { runEndMessage, type RunEvents } from './run-events.js';
import { newRunRecord, type RunRequest } from './run-request.js';
import { RunSlot } from './run-slot.js';
import { Run } from './run.js';
import { prewarmSampler } from './sampling/rss-sampler.js';
import { RecordReader, type JsonPieces } from './storage/record-reader.js';
import { matches, mergePage, pageSpec } from './storage/run-query.js';
import type { RunStore } from './storage/run-store.js';
import { MAX_UNSAVED, UnsavedRuns } from './storage/unsaved-runs.js';
import type { SpawnWorker } from './worker-process.js';

export const DEFAULT_MAX_QUEUE = 20;

/** Why a checked request was still not taken: the caller decides what that means (http-api.ts: 503, 429, 500). */
export type SubmitRefusal = 'shutting-down' | 'queue-full' | 'spawn-failed' | 'store-full' | 'store-damaged';

export type SubmitResult =
  | { ok: true; id: string; status: 'running' | 'queued'; position?: number }
  | { ok: false; reason: SubmitRefusal; error: string };

export type SubmitAllResult =
  | { ok: true; runs: { id: string; status: RunInfo['status']; position?: number }[] }
  | { ok: false; reason: SubmitRefusal; error: string };

export interface RegistryOptions {
  events: RunEvents;
  store: RunStore;
  maxQueue?: number;
  spawn?: SpawnWorker;
  log?(line: string): void;
  /** How often unsaved runs are retried (ms); tests shorten it. */
  retryMs?: number;
  /** Runs take turns with other processes on the data directory through it (run-slot.ts). */
  slot?: RunSlot;
  /** Records going on elsewhere in this process (watches, server/watch/), listed with the runs until they are stored. */
  alsoLive?(): RunInfo[];
  /** The workers' CPU priority (worker-priority.ts; MEMTIDE_WORKER_NICE). */
  workerNice?: number;
}

/** A bad query is the caller's (400); a database that cannot answer is not (500). */
export type PageResult = { ok: true; page: RunListPage } | { ok: false; status: 400 | 500; error: string };

interface QueuedRun {
  record: RunRecord;
  /** The Python interpreter, for python experiments. */
  python?: string;
}

export class RunRegistry {
  private active?: Run;
  private readonly queue: QueuedRun[] = [];
  /** Ended runs the database could not take yet. */
  readonly unsaved: UnsavedRuns;
  readonly reader: RecordReader;
  private closing?: () => void;
  private shuttingDown?: Promise<void>;
  private readonly slot: RunSlot;

  constructor(private readonly options: RegistryOptions) {
    const { events } = options;
    this.unsaved = new UnsavedRuns(options.store, {
      stored: (run) => events.send({ type: 'run-stored', run }),
      changed: (unsaved) => events.send({ type: 'store', unsaved }),
      log: options.log ?? console.warn,
    }, options.retryMs);
    this.reader = new RecordReader(options.store);
    this.slot = options.slot ?? new RunSlot(undefined, () => '', () => undefined);
    prewarmSampler();
  }

  get store(): RunStore {
    return this.options.store;
  }

  /** Starts the run at once when nothing runs, else queues it. */
  submit(request: RunRequest): SubmitResult {
    if (this.shuttingDown) return { ok: false, reason: 'shutting-down', error: 'the server is shutting down' };
    const damaged = this.unsaved.refusal();
    if (damaged) return { ok: false, reason: 'store-damaged', error: damaged };
    if (this.unsaved.size >= MAX_UNSAVED) {
      return { ok: false, reason: 'store-full', error: `${this.unsaved.size} ended runs are waiting to be stored (${this.unsaved.infos()[0]!.unsaved}): free space first` };
    }
    const queued: QueuedRun = { record: newRunRecord(request), python: request.python };
    if (!this.active && this.queue.length === 0 && this.slot.take(request.experiment.id)) {
      try {
        this.launch(queued);
      } catch (error) {
        this.slot.release();
        return { ok: false, reason: 'spawn-failed', error: `could not start the worker: ${(error as Error).message}` };
      }
      return { ok: true, id: queued.record.id, status: 'running' };
    }
    const max = this.options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (this.queue.length >= max) {
      return { ok: false, reason: 'queue-full', error: `the queue is full (${max} runs waiting): wait for one to end or cancel one` };
    }
    this.queue.push(queued);
    this.sendQueue();
    if (!this.active) this.slot.wait(() => this.startNext()); // another process has the slot
    return { ok: true, id: queued.record.id, status: 'queued', position: this.queue.length };
  }

  /**
   * Takes every request or none: refused as a whole when they would not all fit in the queue (an
   * allocator matrix is never half run). The first starts at once when nothing runs; one whose
   * worker cannot be spawned ends `failed` and the next starts, as for any queued run.
   */
  submitAll(requests: readonly RunRequest[]): SubmitAllResult {
    if (this.shuttingDown) return { ok: false, reason: 'shutting-down', error: 'the server is shutting down' };
    const damaged = this.unsaved.refusal();
    if (damaged) return { ok: false, reason: 'store-damaged', error: damaged };
    if (this.unsaved.size >= MAX_UNSAVED) {
      return { ok: false, reason: 'store-full', error: `${this.unsaved.size} ended runs are waiting to be stored (${this.unsaved.infos()[0]!.unsaved}): free space first` };
    }
    const max = this.options.maxQueue ?? DEFAULT_MAX_QUEUE;
    const idle = !this.active && this.queue.length === 0;
    const room = max - this.queue.length + (idle ? 1 : 0);
    if (requests.length > room) {
      return {
        ok: false, reason: 'queue-full',
        error: `the queue has room for ${room} of these ${requests.length} runs (at most ${max} wait): wait for runs to end or cancel some; none was queued`,
      };
    }
    const queued = requests.map((r): QueuedRun => ({ record: newRunRecord(r), python: r.python }));
    this.queue.push(...queued);
    if (idle) this.startNext(); // takes the slot, or waits for it when another process holds it
    if (!idle || !this.active) this.sendQueue();
    return { ok: true, runs: queued.map(({ record }) => this.placeOf(record.id)) };
  }

  /** Where a run just submitted stands: running (or already ended), or its place in the queue. */
  private placeOf(id: string): { id: string; status: RunInfo['status']; position?: number } {
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) return { id, status: 'queued', position: index + 1 };
    if (this.active?.id === id) return { id, status: 'running' };
    try {
      return { id, status: (this.unsaved.get(id) ?? this.options.store.info(id))?.status ?? 'failed' };
    } catch {
      return { id, status: 'failed' }; // ended, and the database cannot say how
    }
  }

  /** A run only this process holds: running, queued, or ended but not stored yet. */
  inMemory(id: string): RunRecord | undefined {
    if (this.active?.id === id) return this.active.snapshot();
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) return { ...this.queue[index]!.record, queuePosition: index + 1 };
    return this.unsaved.get(id);
  }

  /** Any run, from memory or the database (throws a StoreError when the database cannot say). */
  get(id: string): RunRecord | undefined {
    return this.inMemory(id) ?? this.options.store.load(id);
  }

  /**
   * Every run, newest first: GET /api/runs without a query (the array it always gave) and tests.
   * The dashboard pages instead (page()).
   */
  list(): RunInfo[] {
    const stored = this.options.store.all((id, error) => this.sayOnce(`memtide: run ${id} is left out of the list: ${error}`));
    return [...this.liveRuns(), ...this.otherLive(), ...this.unsaved.infos(), ...stored].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  /** The runs of one allocator matrix, or of every matrix (matrix-book.ts), live ones too. */
  matrixRuns(matrixId?: string): RunInfo[] {
    const own = [...this.liveRuns(), ...this.unsaved.infos()].filter((r) => r.matrixId !== undefined && (matrixId === undefined || r.matrixId === matrixId));
    const stored = this.options.store.matrixRuns(matrixId, (id, error) => this.sayOnce(`memtide: run ${id} is left out of its matrix: ${error}`));
    return [...own, ...stored];
  }

  private otherLive(): RunInfo[] {
    return this.options.alsoLive?.() ?? [];
  }

  /** The running and queued runs. */
  liveRuns(): RunInfo[] {
    return [...(this.active ? [this.active.info()] : []), ...this.queuedInfos()];
  }

  /**
   * One page of GET /api/runs: the database's runs and this process's own (running, queued,
   * unsaved) merged in one order, so they page together.
   */
  page(query: RunListQuery): PageResult {
    const checked = pageSpec(query);
    if (!checked.ok) return { ok: false, status: 400, error: checked.error };
    const { spec } = checked;
    const own = [...this.liveRuns(), ...this.otherLive(), ...this.unsaved.infos()].filter((r) => matches(spec, r));
    let db: ReturnType<RunStore['page']>;
    try {
      db = this.options.store.page(spec);
    } catch (error) {
      return { ok: false, status: 500, error: (error as Error).message };
    }
    for (const { id, error } of db.damaged) this.sayOnce(`memtide: run ${id} is left out of the list: ${error}`);
    return { ok: true, page: mergePage(spec, db, own) };
  }

  /** GET /api/runs/:id's body: a run in memory as JSON now, a stored one built off the event loop (in pieces). */
  recordJson(id: string): Promise<string | JsonPieces | undefined> {
    const record = this.inMemory(id);
    return record ? Promise.resolve(JSON.stringify(record)) : this.reader.json(id);
  }

  private log(line: string): void {
    (this.options.log ?? console.warn)(line);
  }

  private readonly said = new Set<string>();
  private sayOnce(line: string): void {
    if (this.said.has(line)) return;
    this.said.add(line);
    this.log(line);
  }

  /** Returns false when there is no such run. Cancelling an ended run changes nothing. */
  cancel(id: string): boolean {
    if (this.active?.id === id) {
      this.active.cancel();
      return true;
    }
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) {
      this.endQueued(this.queue.splice(index, 1)[0]!, 'cancelled by the user while queued');
      this.sendQueue();
      return true;
    }
    return this.unsaved.get(id) !== undefined || this.options.store.info(id) !== undefined;
  }

  /**
   * Forgets an ended run, in the database too (throws a StoreError when it stays there). A queued
   * or running one must be cancelled first.
   */
  delete(id: string): 'deleted' | 'missing' | 'running' {
    if (this.active?.id === id || this.queue.some((q) => q.record.id === id)) return 'running';
    const deleted = this.unsaved.delete(id) || this.options.store.delete(id);
    this.reader.forget(id);
    if (!deleted) return 'missing';
    this.options.events.send({ type: 'run-deleted', runId: id });
    return 'deleted';
  }

  /** Server shutdown: empties the queue, kills the worker, and resolves once its run is stored. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.shutDown();
    return this.shuttingDown;
  }

  private shutDown(): Promise<void> {
    this.slot.stop();
    const waiting = this.queue.splice(0);
    for (const queued of waiting) this.endQueued(queued, 'cancelled: the server shut down before it started');
    if (waiting.length > 0) this.sendQueue();
    const active = this.active;
    return new Promise((resolve) => {
      this.closing = resolve;
      if (active) active.cancel('cancelled: the server shut down');
      else resolve();
    });
  }

  /**
   * After shutdown(): says which runs could still not be stored (they are lost now), stops the
   * reader thread and closes the database.
   */
  async closeStore(): Promise<void> {
    this.unsaved.stop();
    for (const run of this.unsaved.infos()) this.log(`memtide: run ${run.id} (${run.experiment}) was never stored and is lost: ${run.unsaved}`);
    await this.reader.close();
    this.options.store.close();
  }

  /** Last resort when the process exits without shutdown(): SIGKILL the worker synchronously. */
  killNow(): void {
    this.active?.cancel('cancelled: the server exited');
  }

  /**
   * Stores an ended record made elsewhere (a watch, server/watch/) with the runs, in the database
   * before it is told — or, when it cannot be, kept and retried like a run: the record returned
   * then says so (`unsaved`).
   */
  storeEnded(record: RunRecord): RunRecord {
    return this.unsaved.save(record);
  }

  /** Starts a run's worker (throws when it cannot be spawned). */
  private launch({ record, python }: QueuedRun): void {
    const run = new Run(record, { events: this.options.events, python, spawn: this.options.spawn, workerNice: this.options.workerNice, onEnded: (ended) => this.ended(ended) });
    // Active before it starts: whoever hears its run-started and asks (a matrix's table) finds it,
    // and an end told from inside start() is the active run's.
    this.active = run;
    try {
      run.start();
    } catch (error) {
      if (this.active === run) this.active = undefined;
      throw error;
    }
  }

  /**
   * Every run ends here, run or queued: in the database before anyone hears of it (a kill -9
   * after this loses nothing) — or told as unsaved, with why — then the next queued run starts.
   */
  private ended(ended: RunRecord): void {
    const record = this.unsaved.save(ended);
    // Only the active run may hand over: anything else must never start a second one. It stops
    // being active before the end is told, so whoever hears of it and asks get() reads the end.
    const wasActive = this.active?.id === record.id;
    if (wasActive) this.active = undefined;
    this.options.events.send(runEndMessage(record));
    if (!wasActive) return;
    this.slot.release();
    if (this.closing) this.closing();
    else this.startNext();
  }

  private startNext(): void {
    if (this.active || this.queue.length === 0) return this.slot.stop();
    if (!this.slot.take(this.queue[0]!.record.experiment)) return this.slot.wait(() => this.startNext());
    this.slot.stop();
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      this.sendQueue();
      try {
        return this.launch(next);
      } catch (error) {
        this.endQueued(next, `could not start the worker: ${(error as Error).message}`, 'failed');
      }
    }
    this.slot.release(); // none of them could start
  }

  private endQueued({ record }: QueuedRun, reason: string, status: 'cancelled' | 'failed' = 'cancelled'): void {
    Object.assign(record, { status, error: reason, endedAt: now() });
    this.ended(record);
  }

  private queuedInfos(): RunInfo[] {
    return this.queue.map((q, i) => ({ ...runInfo(q.record), queuePosition: i + 1 }));
  }

  private sendQueue(): void {
    this.options.events.send({ type: 'queue', runs: this.queuedInfos() });
  }
}

// Every run the server knows of: the one running, a bounded queue of runs waiting for it, and the
// ended runs, each stored on disk by RunStore (ended(), the one way a run ends) before anyone is
// told it ended. Requests come in already checked (run-request.ts parseRunRequest).
import { runInfo, type RunInfo, type RunRecord } from '../shared/run-record.js';
import { now } from '../shared/units.js';
import { runEndMessage, type RunEvents } from './run-events.js';
import { newRunRecord, type RunRequest } from './run-request.js';
import { Run } from './run.js';
import { prewarmSamplerThread } from './sampling/rss-sampler.js';
import type { RunStore, StoreProblem } from './storage/run-store.js';
import type { SpawnWorker } from './worker-process.js';

export const DEFAULT_MAX_QUEUE = 20;

/** Why a checked request was still not taken: the caller decides what that means (http-api.ts: 503, 429, 500). */
export type SubmitRefusal = 'shutting-down' | 'queue-full' | 'spawn-failed';

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
}

interface QueuedRun {
  record: RunRecord;
  /** The Python interpreter, for python experiments. */
  python?: string;
}

export class RunRegistry {
  private active?: Run;
  private readonly queue: QueuedRun[] = [];
  /** Ended runs; the full record stays in memory only when it could not be stored. */
  private readonly endedRuns = new Map<string, { info: RunInfo; record?: RunRecord }>();
  private closing?: () => void;
  private shuttingDown?: Promise<void>;
  /** Files in the data directory that were not readable runs (reported at start). */
  readonly storeProblems: StoreProblem[];

  constructor(private readonly options: RegistryOptions) {
    const { records, problems } = options.store.list();
    for (const record of records) this.endedRuns.set(record.id, { info: runInfo(record) });
    this.storeProblems = problems;
    prewarmSamplerThread();
  }

  /** Starts the run at once when nothing runs, else queues it. */
  submit(request: RunRequest): SubmitResult {
    if (this.shuttingDown) return { ok: false, reason: 'shutting-down', error: 'the server is shutting down' };
    const queued: QueuedRun = { record: newRunRecord(request), python: request.python };
    if (!this.active && this.queue.length === 0) {
      try {
        this.launch(queued);
      } catch (error) {
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
    return { ok: true, id: queued.record.id, status: 'queued', position: this.queue.length };
  }

  /**
   * Takes every request or none: refused as a whole when they would not all fit in the queue (an
   * allocator matrix is never half run). The first starts at once when nothing runs; one whose
   * worker cannot be spawned ends `failed` and the next starts, as for any queued run.
   */
  submitAll(requests: readonly RunRequest[]): SubmitAllResult {
    if (this.shuttingDown) return { ok: false, reason: 'shutting-down', error: 'the server is shutting down' };
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
    if (idle) this.startNext();
    else this.sendQueue();
    return { ok: true, runs: queued.map(({ record }) => this.placeOf(record.id)) };
  }

  /** Where a run just submitted stands: running (or already ended), or its place in the queue. */
  private placeOf(id: string): { id: string; status: RunInfo['status']; position?: number } {
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) return { id, status: 'queued', position: index + 1 };
    return { id, status: this.active?.id === id ? 'running' : (this.endedRuns.get(id)?.info.status ?? 'failed') };
  }

  get(id: string): RunRecord | undefined {
    if (this.active?.id === id) return this.active.snapshot();
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) return { ...this.queue[index]!.record, queuePosition: index + 1 };
    const ended = this.endedRuns.get(id);
    return ended && (ended.record ?? this.options.store.load(id));
  }

  list(): RunInfo[] {
    const live = this.active ? [this.active.info()] : [];
    return [...live, ...this.queuedInfos(), ...[...this.endedRuns.values()].map((e) => e.info)].sort((a, b) => b.createdAt - a.createdAt);
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
    return this.endedRuns.has(id);
  }

  /** Forgets an ended run, on disk too. A queued or running one must be cancelled first. */
  delete(id: string): 'deleted' | 'missing' | 'running' {
    if (this.active?.id === id || this.queue.some((q) => q.record.id === id)) return 'running';
    if (!this.endedRuns.has(id)) return 'missing';
    this.options.store.delete(id);
    this.endedRuns.delete(id);
    return 'deleted';
  }

  /** Server shutdown: empties the queue, kills the worker, and resolves once its run is stored. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.shutDown();
    return this.shuttingDown;
  }

  private shutDown(): Promise<void> {
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

  /** Last resort when the process exits without shutdown(): SIGKILL the worker synchronously. */
  killNow(): void {
    this.active?.cancel('cancelled: the server exited');
  }

  /** Stores an ended record made elsewhere (a watch, server/watch/) and lists it with the runs. */
  storeEnded(record: RunRecord): void {
    this.store(record);
  }

  /** Starts a run's worker (throws when it cannot be spawned). */
  private launch({ record, python }: QueuedRun): void {
    const run = new Run(record, { events: this.options.events, python, spawn: this.options.spawn, onEnded: (ended) => this.ended(ended) });
    run.start();
    this.active = run;
  }

  /**
   * Every run ends here, run or queued: on disk before anyone hears of it (a kill -9 after this
   * loses nothing), then told to every client, then the next queued run starts.
   */
  private ended(record: RunRecord): void {
    this.store(record);
    // Only the active run may hand over: anything else must never start a second one. It stops
    // being active before the end is told, so whoever hears of it and asks get() reads the end.
    const wasActive = this.active?.id === record.id;
    if (wasActive) this.active = undefined;
    this.options.events.send(runEndMessage(record));
    if (!wasActive) return;
    if (this.closing) this.closing();
    else this.startNext();
  }

  private startNext(): void {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      this.sendQueue();
      try {
        return this.launch(next);
      } catch (error) {
        this.endQueued(next, `could not start the worker: ${(error as Error).message}`, 'failed');
      }
    }
  }

  private endQueued({ record }: QueuedRun, reason: string, status: 'cancelled' | 'failed' = 'cancelled'): void {
    Object.assign(record, { status, error: reason, endedAt: now() });
    this.ended(record);
  }

  private store(record: RunRecord): void {
    try {
      this.options.store.save(record);
      this.endedRuns.set(record.id, { info: runInfo(record) });
    } catch (error) {
      this.options.log?.(`memtide: could not store run ${record.id} in ${this.options.store.dir}: ${(error as Error).message} (kept in memory only)`);
      this.endedRuns.set(record.id, { info: runInfo(record), record });
    }
  }

  private queuedInfos(): RunInfo[] {
    return this.queue.map((q, i) => ({ ...runInfo(q.record), queuePosition: i + 1 }));
  }

  private sendQueue(): void {
    this.options.events.send({ type: 'queue', runs: this.queuedInfos() });
  }
}

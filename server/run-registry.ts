// Every run the server knows of: the one running, a bounded queue of runs waiting for it, and the
// ended runs (stored on disk by RunStore before anyone is told they ended).
import { randomBytes } from 'node:crypto';
import { findExperiment, resolveParams } from '../shared/catalog/index.js';
import { knobEnvironment, knobMisfit } from '../shared/knobs.js';
import { type Experiment } from '../shared/catalog/experiment.js';
import { CreateRunBody } from '../shared/protocol/http.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { type RunInfo, type RunRecord } from '../shared/run-record.js';
import { describeZodError } from '../shared/validation.js';
import { machine, unavailableKnob, type Machine } from './experiments.js';
import { checkMemoryCap, defaultMemoryCapMiB, DEFAULT_WALL_CLOCK_S, machineMaxCapMiB, type RunLimits } from './run-limits.js';
import { initialRecord, Run, runInfo } from './run.js';
import { hasProc } from './sampling/proc-statm.js';
import { prewarmSamplerThread } from './sampling/rss-sampler.js';
import { now } from '../shared/units.js';
import type { RunStore, StoreProblem } from './storage/run-store.js';
import type { SpawnWorker } from './worker-process.js';

/** 1 kHz where /proc lets a thread read RSS in ~3 µs; pidusage (~0.3 ms a call) elsewhere. */
export const DEFAULT_SAMPLE_HZ = hasProc() ? 1000 : 20;
export const DEFAULT_MAX_QUEUE = 20;

export type CreateResult =
  | { ok: true; id: string; status: 'running' | 'queued'; position?: number }
  | { ok: false; status: 400 | 429 | 500 | 503; error: string };

export interface RegistryOptions {
  send(message: ServerMessage): void;
  store: RunStore;
  sampleHz?: number;
  /** What this machine has (python3, jemalloc, koffi); probed when not given. */
  machine?: Machine;
  /** Server defaults; a request may ask for another memory cap up to maxMemoryCapMiB. */
  memoryCapMiB?: number;
  maxMemoryCapMiB?: number;
  wallClockS?: number;
  maxQueue?: number;
  spawn?: SpawnWorker;
  log?(line: string): void;
}

interface QueuedRun {
  record: RunRecord;
  experiment: Pick<Experiment, 'id' | 'runtime'>;
  limits: RunLimits;
  /** The Python interpreter, for python experiments. */
  python?: string;
}

const newRunId = (): string => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export class RunRegistry {
  private active?: Run;
  private readonly queue: QueuedRun[] = [];
  /** Ended runs; the full record stays in memory only when it could not be stored. */
  private readonly ended = new Map<string, { info: RunInfo; record?: RunRecord }>();
  private closing?: () => void;
  /** Files in the data directory that were not readable runs (reported at start). */
  readonly storeProblems: StoreProblem[];
  private readonly maxCapMiB: number;

  constructor(private readonly options: RegistryOptions) {
    const { records, problems } = options.store.list();
    for (const record of records) this.ended.set(record.id, { info: runInfo(record) });
    this.storeProblems = problems;
    this.maxCapMiB = options.maxMemoryCapMiB ?? machineMaxCapMiB();
    prewarmSamplerThread();
  }

  create(body: unknown): CreateResult {
    if (this.closing) return { ok: false, status: 503, error: 'the server is shutting down' };
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { ok: false, status: 400, error: 'body: must be a JSON object like {"experiment": "seed-strings"}' };
    }
    const parsed = CreateRunBody.safeParse(body);
    if (!parsed.success) return { ok: false, status: 400, error: describeZodError(parsed.error) };
    const experiment = findExperiment(parsed.data.experiment);
    if (!experiment) return { ok: false, status: 400, error: `experiment: unknown experiment "${parsed.data.experiment}"` };
    const params = resolveParams(experiment, parsed.data.params);
    if (!params.ok) return { ok: false, status: 400, error: params.error };
    const knobs = parsed.data.knobs ?? {};
    const misfit = knobMisfit(knobs, experiment.runtime);
    if (misfit) return { ok: false, status: 400, error: misfit };
    const found = this.options.machine ?? machine();
    if (experiment.runtime === 'python' && typeof found.python === 'string') {
      return { ok: false, status: 400, error: `experiment: ${experiment.id} is not available on this machine: ${found.python}` };
    }
    const missing = unavailableKnob(knobs, experiment.runtime, found);
    if (missing) return { ok: false, status: 400, error: missing };
    const workerEnv = knobEnvironment(knobs, typeof found.jemalloc === 'string' ? undefined : found.jemalloc.path);
    const python = typeof found.python === 'string' ? undefined : found.python.command;
    const cap = checkMemoryCap(parsed.data.memoryCapMiB ?? this.options.memoryCapMiB ?? defaultMemoryCapMiB(this.maxCapMiB), 'memoryCapMiB', this.maxCapMiB);
    if (!cap.ok) return { ok: false, status: 400, error: cap.error };

    const limits = { memoryCapMiB: cap.capMiB, wallClockS: this.options.wallClockS ?? DEFAULT_WALL_CLOCK_S };
    const sampleHz = parsed.data.sampleHz ?? this.options.sampleHz ?? DEFAULT_SAMPLE_HZ;
    const record = initialRecord({ id: newRunId(), experiment, params: params.params, knobs, workerEnv, sampleHz, limits }, 'queued');
    const queued: QueuedRun = { record, experiment, limits, python };
    if (!this.active && this.queue.length === 0) {
      try {
        this.launch(queued);
      } catch (error) {
        return { ok: false, status: 500, error: `could not start the worker: ${(error as Error).message}` };
      }
      return { ok: true, id: queued.record.id, status: 'running' };
    }
    const max = this.options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (this.queue.length >= max) {
      return { ok: false, status: 429, error: `the queue is full (${max} runs waiting): wait for one to end or cancel one` };
    }
    this.queue.push(queued);
    this.sendQueue();
    return { ok: true, id: queued.record.id, status: 'queued', position: this.queue.length };
  }

  get(id: string): RunRecord | undefined {
    if (this.active?.id === id) return this.active.record;
    const index = this.queue.findIndex((q) => q.record.id === id);
    if (index !== -1) return { ...this.queue[index]!.record, queuePosition: index + 1 };
    const ended = this.ended.get(id);
    return ended && (ended.record ?? this.options.store.load(id));
  }

  list(): RunInfo[] {
    const live = this.active ? [runInfo(this.active.record)] : [];
    return [...live, ...this.queuedInfos(), ...[...this.ended.values()].map((e) => e.info)].sort((a, b) => b.createdAt - a.createdAt);
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
    return this.ended.has(id);
  }

  /** Forgets an ended run, on disk too. A queued or running one must be cancelled first. */
  delete(id: string): 'deleted' | 'missing' | 'running' {
    if (this.active?.id === id || this.queue.some((q) => q.record.id === id)) return 'running';
    if (!this.ended.has(id)) return 'missing';
    this.options.store.delete(id);
    this.ended.delete(id);
    return 'deleted';
  }

  /** Server shutdown: empties the queue, kills the worker, and resolves once its run is stored. */
  shutdown(): Promise<void> {
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
  private launch({ record, experiment, limits, python }: QueuedRun): void {
    const run: Run = new Run({
      id: record.id,
      experiment,
      params: record.params,
      knobs: record.knobs,
      workerEnv: record.workerEnv,
      python,
      sampleHz: record.sampleHz,
      limits,
      spawn: this.options.spawn,
      send: (message) => {
        // On disk before anyone hears the run ended: a kill -9 after this loses nothing.
        if ((message.type === 'run-finished' || message.type === 'run-failed') && message.runId === run.id) this.store(run.record);
        this.options.send(message);
      },
      onEnd: (endedRun) => {
        // Only the active run may hand over: anything else must never start a second one.
        if (this.active !== endedRun) return;
        this.active = undefined;
        if (this.closing) this.closing();
        else this.startNext();
      },
    });
    run.start();
    this.active = run;
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
    this.store(record);
    this.options.send({ type: 'run-failed', runId: record.id, run: runInfo(record), error: reason });
  }

  private store(record: RunRecord): void {
    try {
      this.options.store.save(record);
      this.ended.set(record.id, { info: runInfo(record) });
    } catch (error) {
      this.options.log?.(`memtide: could not store run ${record.id} in ${this.options.store.dir}: ${(error as Error).message} (kept in memory only)`);
      this.ended.set(record.id, { info: runInfo(record), record });
    }
  }

  private queuedInfos(): RunInfo[] {
    return this.queue.map((q, i) => ({ ...runInfo(q.record), queuePosition: i + 1 }));
  }

  private sendQueue(): void {
    this.options.send({ type: 'queue', runs: this.queuedInfos() });
  }
}

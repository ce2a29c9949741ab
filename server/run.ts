// One run: a worker process, the sampler watching it, and the record they fill. State and
// lifecycle belong together here, so this is a class.
import type { Knobs } from '../shared/knobs.js';
import type { Experiment, HeapSample, Params, RunInfo, RunRecord, Sample, ServerMessage, WorkerMessage } from '../shared/schemas.js';
import { computeSummary } from '../shared/summary.js';
import { hasProc } from './sampling/proc-statm.js';
import { readMallocLibrary, readMemoryBreakdown } from './sampling/proc-smaps.js';
import { startRssSampler, now, type RssSampler } from './sampling/rss-sampler.js';
import { spawnWorker, type WorkerHandle } from './worker-process.js';

/** Samples go to clients in batches at most this often. */
export const FLUSH_MS = 50;

export interface RunOptions {
  id: string;
  experiment: Pick<Experiment, 'id' | 'runtime'>;
  params: Params;
  /** The knobs as asked for, and the environment they became (see shared/knobs.ts). */
  knobs?: Knobs;
  workerEnv?: Record<string, string>;
  /** The Python interpreter, for python experiments. */
  python?: string;
  sampleHz: number;
  send(message: ServerMessage): void;
  onEnd(run: Run): void;
}

export function runInfo(record: RunRecord): RunInfo {
  const { phases: _p, samples: _s, heap: _h, breakdowns: _b, ...info } = record;
  return info;
}

export class Run {
  readonly record: RunRecord;
  private worker?: WorkerHandle;
  private sampler?: RssSampler;
  private flushTimer?: NodeJS.Timeout;
  private pendingSamples: Sample[] = [];
  private pendingHeap: HeapSample[] = [];
  private done = false;
  private ended = false;
  private cancelled = false;
  private failure?: string;

  constructor(private readonly options: RunOptions) {
    this.record = {
      id: options.id,
      experiment: options.experiment.id,
      runtime: options.experiment.runtime,
      params: options.params,
      knobs: options.knobs ?? {},
      workerEnv: options.workerEnv ?? {},
      status: 'running',
      createdAt: now(),
      sampleHz: options.sampleHz,
      sampler: 'none',
      summary: null,
      phases: [],
      samples: [],
      heap: [],
      breakdowns: [],
    };
  }

  get id(): string {
    return this.record.id;
  }

  get running(): boolean {
    return !this.ended;
  }

  start(): void {
    const { experiment, params, sampleHz, send, knobs, python } = this.options;
    const spec = { experiment: experiment.id, params, ...(knobs?.trim ? { trim: true } : {}) };
    this.worker = spawnWorker(experiment.runtime, spec, {
      onMessage: (m) => this.handle(m),
      onProtocolError: (reason) => this.fail(reason),
      onExit: (code, signal, stderr) => this.finish(code, signal, stderr),
    }, { python, env: this.record.workerEnv });
    this.record.pid = this.worker.pid;
    this.sampler = startRssSampler(this.worker.pid, sampleHz, (s) => {
      this.record.samples.push(s);
      this.pendingSamples.push(s);
    });
    this.record.sampler = this.sampler.method;
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    send({ type: 'run-started', run: runInfo(this.record) });
  }

  cancel(): void {
    if (this.ended) return;
    this.cancelled = true;
    this.worker?.kill();
  }

  /** Ends the run as failed (bad message, cap exceeded…): the worker is killed, the record kept. */
  fail(reason: string): void {
    if (this.ended || this.failure) return;
    this.failure = reason;
    this.worker?.kill();
  }

  private handle(message: WorkerMessage): void {
    const { record } = this;
    switch (message.type) {
      case 'ready':
        this.ready(message);
        break;
      case 'heap':
        this.addHeap({ t: message.t, ...message.heap, phase: this.currentPhase() });
        break;
      case 'phase': {
        if (message.edge === 'start') record.phases.push({ name: message.phase, start: message.t });
        else {
          const phase = record.phases.find((p) => p.name === message.phase && p.end === undefined);
          if (!phase) return this.fail(`worker ended phase ${message.phase} that had not started`);
          phase.end = message.t;
        }
        this.addHeap({ t: message.t, ...message.heap, phase: message.phase });
        this.flush();
        this.options.send({ type: 'phase', runId: this.id, phase: message.phase, edge: message.edge, t: message.t });
        if (message.edge === 'end') this.readBreakdown(message.phase, message.t);
        break;
      }
      case 'done':
        this.done = true;
        break;
      case 'error':
        this.failure = message.phase ? `worker failed in phase ${message.phase}: ${message.message}` : `worker failed: ${message.message}`;
        break;
    }
  }

  /** Records what the worker runs under, and fails the run if that is not what was asked for. */
  private ready(message: Extract<WorkerMessage, { type: 'ready' }>): void {
    const { record } = this;
    record.runtimeVersion = message.version;
    if (message.env) record.workerEnvSeen = message.env;
    if (message.objectAllocator) record.objectAllocator = message.objectAllocator;
    if (hasProc() && record.pid !== undefined) record.mallocLibrary = readMallocLibrary(record.pid);
    const asked = JSON.stringify(Object.entries(record.workerEnv).sort());
    if (message.env && JSON.stringify(Object.entries(message.env).sort()) !== asked) {
      return this.fail(`worker saw allocator environment ${JSON.stringify(message.env)}, not ${JSON.stringify(record.workerEnv)}`);
    }
    const wanted = record.knobs.allocator ?? 'glibc';
    if (record.mallocLibrary && record.mallocLibrary !== wanted) {
      return this.fail(`allocator ${wanted} was asked for, but the worker has ${record.mallocLibrary} mapped`);
    }
    this.options.send({ type: 'run-updated', run: runInfo(record) });
  }

  /** The worker waits after each phase end until acked, so the breakdown belongs to that instant. */
  private readBreakdown(phase: Extract<WorkerMessage, { type: 'phase' }>['phase'], t: number): void {
    const pid = this.record.pid;
    const breakdown = hasProc() && pid !== undefined ? readMemoryBreakdown(pid, phase, t) : undefined;
    if (breakdown) {
      this.record.breakdowns.push(breakdown);
      this.options.send({ type: 'breakdown', runId: this.id, breakdown });
    }
    this.worker?.ack();
  }

  private currentPhase() {
    const last = this.record.phases.at(-1);
    return last && last.end === undefined ? last.name : undefined;
  }

  private addHeap(sample: HeapSample): void {
    this.record.heap.push(sample);
    this.pendingHeap.push(sample);
  }

  private flush(): void {
    const { send } = this.options;
    if (this.pendingSamples.length > 0) {
      send({ type: 'samples', runId: this.id, samples: this.pendingSamples });
      this.pendingSamples = [];
    }
    if (this.pendingHeap.length > 0) {
      send({ type: 'heap', runId: this.id, heap: this.pendingHeap });
      this.pendingHeap = [];
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.ended) return;
    this.ended = true;
    this.sampler?.stop();
    clearInterval(this.flushTimer);
    this.flush();
    const { record } = this;
    record.endedAt = now();
    const summary = this.cancelled || this.failure ? null : computeSummary(record);
    if (this.cancelled) {
      record.status = 'cancelled';
      record.error = 'cancelled by the user';
    } else if (this.failure) {
      record.status = 'failed';
      record.error = this.failure;
    } else if (code !== 0 || !this.done) {
      record.status = 'failed';
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const lastLine = stderr.split('\n').filter(Boolean).at(-1);
      record.error = `worker ${how}${this.done ? '' : ' before finishing'}${lastLine ? `: ${lastLine}` : ''}`;
    } else if (!summary) {
      record.status = 'failed';
      record.error = 'worker finished but the timeline is incomplete (missing a phase end or RSS samples)';
    } else {
      record.status = 'finished';
      record.summary = summary;
    }
    const info = runInfo(record);
    if (record.status === 'finished') {
      this.options.send({ type: 'run-finished', runId: this.id, run: info, summary: record.summary! });
    } else {
      this.options.send({ type: 'run-failed', runId: this.id, run: info, error: record.error! });
    }
    this.options.onEnd(this);
  }
}

// One run: a worker process, the sampler watching it, and the record they fill. State and
// lifecycle belong together here, so this is a class.
import type { Experiment, HeapSample, Params, RunInfo, RunRecord, Sample, ServerMessage, WorkerMessage } from '../shared/schemas.js';
import { computeSummary } from '../shared/summary.js';
import { startRssSampler, now, type RssSampler } from './sampling/rss-sampler.js';
import { samplingStats } from './sampling/sampling-stats.js';
import { spawnWorker, type WorkerHandle } from './worker-process.js';

/** The worker's heap figures go to clients in batches at most this often. RSS samples go as soon
 * as the sampler hands over a batch (every ≤ BATCH_MS in sampling/rss-sampler.ts). */
export const FLUSH_MS = 50;

export interface RunOptions {
  id: string;
  experiment: Pick<Experiment, 'id' | 'runtime'>;
  params: Params;
  sampleHz: number;
  send(message: ServerMessage): void;
  onEnd(run: Run): void;
}

export function runInfo(record: RunRecord): RunInfo {
  const { phases: _p, samples: _s, heap: _h, ...info } = record;
  return info;
}

export class Run {
  readonly record: RunRecord;
  private worker?: WorkerHandle;
  private sampler?: RssSampler;
  private flushTimer?: NodeJS.Timeout;
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
      status: 'running',
      createdAt: now(),
      sampleHz: options.sampleHz,
      sampler: 'none',
      summary: null,
      phases: [],
      samples: [],
      heap: [],
    };
  }

  get id(): string {
    return this.record.id;
  }

  get running(): boolean {
    return !this.ended;
  }

  start(): void {
    const { experiment, params, sampleHz, send } = this.options;
    this.worker = spawnWorker(experiment.runtime, { experiment: experiment.id, params }, {
      onMessage: (m) => this.handle(m),
      onProtocolError: (reason) => this.fail(reason),
      onExit: (code, signal, stderr) => this.finish(code, signal, stderr),
    });
    this.record.pid = this.worker.pid;
    this.sampler = startRssSampler(this.worker.pid, sampleHz, (batch) => this.addSamples(batch), {
      onWarning: (message) => console.warn(`memtide: run ${this.id}: ${message}`),
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
        record.runtimeVersion = message.version;
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

  private currentPhase() {
    const last = this.record.phases.at(-1);
    return last && last.end === undefined ? last.name : undefined;
  }

  private addHeap(sample: HeapSample): void {
    this.record.heap.push(sample);
    this.pendingHeap.push(sample);
  }

  private addSamples(batch: Sample[]): void {
    for (const s of batch) this.record.samples.push(s);
    this.options.send({ type: 'samples', runId: this.id, samples: batch });
  }

  private flush(): void {
    const { send } = this.options;
    if (this.pendingHeap.length > 0) {
      send({ type: 'heap', runId: this.id, heap: this.pendingHeap });
      this.pendingHeap = [];
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = now();
    // The sampler thread may still hold a last batch: wait for it before the record is closed.
    void (this.sampler?.stop() ?? Promise.resolve()).then(() => this.close(endedAt, code, signal, stderr));
  }

  private close(endedAt: number, code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    clearInterval(this.flushTimer);
    this.flush();
    const { record } = this;
    record.endedAt = endedAt;
    const stats = samplingStats(record.samples);
    if (stats) {
      record.achievedHz = Math.round(stats.achievedHz * 10) / 10;
      record.sampleGapP99Ms = Math.round(stats.gapP99Ms * 100) / 100;
    }
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

// One run: a worker process, the sampler watching it, and the record they fill. State and
// lifecycle belong together here, so this is a class.
import type { Knobs } from '../shared/knobs.js';
import type { Experiment } from '../shared/catalog/experiment.js';
import type { WorkerMessage } from '../shared/protocol/worker.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import type { HeapSample, Params, RunInfo, RunRecord, Sample } from '../shared/run-record.js';
import { phasesOf } from '../shared/phases.js';
import { computeSummary } from '../shared/summary.js';
import { MiB } from '../shared/units.js';
import { hasProc } from './sampling/proc-statm.js';
import { readMallocLibrary, readMemoryBreakdown } from './sampling/proc-smaps.js';
import { startRssSampler, type RssSampler } from './sampling/rss-sampler.js';
import { now } from '../shared/units.js';
import { samplingStats } from './sampling/sampling-stats.js';
import { isV8HeapOutOfMemory, memoryCapReason, wallClockReason, type RunLimits } from './run-limits.js';
import { spawnWorker, type SpawnWorker, type WorkerHandle } from './worker-process.js';

/** The worker's heap figures go to clients in batches at most this often. RSS samples go as soon
 * as the sampler hands over a batch (every ≤ BATCH_MS in sampling/rss-sampler.ts). */
export const FLUSH_MS = 50;
/** A worker reports its heap every ≤ 50 ms; far more than that is a flood, not a report. */
const MAX_HEAP_REPORTS = 200_000;

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
  /** Caps the worker runs under (run-limits.ts); none when absent. */
  limits?: RunLimits;
  /** How to start the worker; tests pass misbehaving ones. */
  spawn?: SpawnWorker;
}

/** The line of a worker's stderr that says why it died: Node ends an uncaught error with "Node.js vX". */
export function crashLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Node\.js v\d/.test(l));
  return lines.findLast((l) => /^(\w*Error|FATAL ERROR)\b/.test(l)) ?? lines.at(-1);
}

/** The record of a run before its worker has said anything: queued, or just starting. */
export function initialRecord(
  options: Pick<RunOptions, 'id' | 'experiment' | 'params' | 'knobs' | 'workerEnv' | 'sampleHz' | 'limits'>,
  status: 'queued' | 'running',
): RunRecord {
  return {
    id: options.id,
    experiment: options.experiment.id,
    runtime: options.experiment.runtime,
    params: options.params,
    knobs: options.knobs ?? {},
    workerEnv: options.workerEnv ?? {},
    status,
    createdAt: now(),
    sampleHz: options.sampleHz,
    sampler: 'none',
    summary: null,
    ...(options.limits && { memoryCapMiB: options.limits.memoryCapMiB, wallClockCapS: options.limits.wallClockS }),
    phases: [],
    samples: [],
    heap: [],
    breakdowns: [],
  };
}

export function runInfo(record: RunRecord): RunInfo {
  const { phases: _p, samples: _s, heap: _h, breakdowns: _b, watchTimeline: _w, ...info } = record;
  return info;
}

export class Run {
  readonly record: RunRecord;
  private worker?: WorkerHandle;
  private sampler?: RssSampler;
  private flushTimer?: NodeJS.Timeout;
  private pendingHeap: HeapSample[] = [];
  private done = false;
  /** The phases this worker must walk, in order (trim only when asked for). */
  private readonly expectedPhases: readonly string[];
  private ended = false;
  private cancelled: string | false = false;
  private failure?: string;
  private wallClockTimer?: NodeJS.Timeout;

  constructor(private readonly options: RunOptions) {
    this.expectedPhases = phasesOf({ trim: options.knobs?.trim });
    // createdAt is the moment it starts (t = 0 on the chart), not when it was queued.
    this.record = initialRecord(options, 'running');
  }

  get id(): string {
    return this.record.id;
  }

  start(): void {
    const { experiment, params, sampleHz, send, knobs, python, limits } = this.options;
    const spec = { experiment: experiment.id, params, ...(knobs?.trim ? { trim: true } : {}) };
    const spawn = this.options.spawn ?? spawnWorker;
    this.worker = spawn(experiment.runtime, spec, {
      onMessage: (m) => this.handle(m),
      onProtocolError: (reason) => this.fail(reason),
      onExit: (code, signal, stderr) => this.finish(code, signal, stderr),
    }, { python, env: this.record.workerEnv, memoryCapMiB: limits?.memoryCapMiB });
    this.record.pid = this.worker.pid;
    this.sampler = startRssSampler(this.worker.pid, sampleHz, (batch) => this.addSamples(batch), {
      onWarning: (message) => console.warn(`memtide: run ${this.id}: ${message}`),
    });
    if (limits) {
      this.wallClockTimer = setTimeout(() => this.fail(wallClockReason(limits.wallClockS, this.phaseNow())), limits.wallClockS * 1000);
    }
    this.record.sampler = this.sampler.method;
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    send({ type: 'run-started', run: runInfo(this.record) });
  }

  cancel(reason = 'cancelled by the user'): void {
    if (this.ended) return;
    this.cancelled = reason;
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
        if (message.edge === 'start') {
          const expected = this.expectedPhases[record.phases.length];
          if (message.phase !== expected || (record.phases.length > 0 && record.phases.at(-1)!.end === undefined)) {
            return this.fail(`worker started phase ${message.phase} out of order (expected ${expected ?? 'no more phases'})`);
          }
          record.phases.push({ name: message.phase, start: message.t });
        }
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
        // fail() kills too: a worker that reports an error and lingers must not outlive the caps.
        return this.fail(message.phase ? `worker failed in phase ${message.phase}: ${message.message}` : `worker failed: ${message.message}`);
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

  /** The phase the worker is in or has just left, for kill reasons. */
  private phaseNow(): string {
    return this.record.phases.at(-1)?.name ?? 'startup';
  }

  private currentPhase() {
    const last = this.record.phases.at(-1);
    return last && last.end === undefined ? last.name : undefined;
  }

  private addHeap(sample: HeapSample): void {
    if (this.record.heap.length >= MAX_HEAP_REPORTS) return this.fail(`worker sent more than ${MAX_HEAP_REPORTS} heap reports`);
    this.record.heap.push(sample);
    this.pendingHeap.push(sample);
  }

  private addSamples(batch: Sample[]): void {
    for (const s of batch) this.record.samples.push(s);
    this.options.send({ type: 'samples', runId: this.id, samples: batch });
    // The watchdog: the sample that crosses the cap is kept, so the chart shows the breach.
    const limits = this.options.limits;
    if (limits && batch.some((s) => s.rss > limits.memoryCapMiB * MiB)) this.fail(memoryCapReason(limits.memoryCapMiB, this.phaseNow()));
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
    clearTimeout(this.wallClockTimer);
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
      record.error = this.cancelled;
    } else if (this.failure) {
      record.status = 'failed';
      record.error = this.failure;
    } else if (this.options.limits && isV8HeapOutOfMemory(stderr)) {
      record.status = 'failed';
      record.error = memoryCapReason(this.options.limits.memoryCapMiB, this.phaseNow(), ' (V8 heap limit)');
    } else if (code !== 0 || !this.done) {
      record.status = 'failed';
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const lastLine = crashLine(stderr);
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

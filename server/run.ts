// One run's lifecycle: start its worker and the sampler watching it, fill in its record (built by
// run-request.ts newRunRecord) from what both report, stop the worker when asked or when a cap or
// the protocol says so, and hand the final record to onEnded. What the worker may send is checked
// by worker-protocol.ts; how the run ended is decided by run-outcome.ts. State and lifecycle
// belong together here, so this is a class.
import { codeErrorReason, CUSTOM_EXPERIMENT, type CodeError } from '../shared/custom/code.js';
import { phasesOf } from '../shared/phases.js';
import { workerSpec as specForRun, type WorkerMessage, type WorkerSpec } from '../shared/protocol/worker.js';
import { experimentRuntime, runInfo, type HeapSample, type RunInfo, type RunRecord } from '../shared/run-record.js';
import { computeSummary } from '../shared/summary.js';
import { MiB, now } from '../shared/units.js';
import type { RunEvents } from './run-events.js';
import { memoryCapReason, wallClockReason } from './run-limits.js';
import { runOutcome } from './run-outcome.js';
import { readBreakdown } from './sampling/breakdown-reader.js';
import { readMallocLibrary } from './sampling/proc-smaps.js';
import { hasProc } from './sampling/proc-statm.js';
import { roundToMicros, SampleLog, type PackedSamples } from './sampling/packed-samples.js';
import { BATCH_MS, IDLE_BATCH_MS, prewarmSampler, startRssSampler, type RssSampler } from './sampling/rss-sampler.js';
import { samplingStats } from './sampling/sampling-stats.js';
import { spawnWorker, type SpawnWorker, type WorkerHandle } from './worker-process.js';
import {
  applyPhaseEdge, lastPhaseName, MAX_HEAP_REPORTS, openPhase, phaseEdgeError, readyError, type PhaseMessage, type ReadyMessage,
} from './worker-protocol.js';

/** The worker's heap figures go to clients in batches at most this often. RSS samples go as soon
 * as the sampler hands over a batch (every ≤ BATCH_MS in sampling/rss-sampler.ts). */
export const FLUSH_MS = 50;

export interface RunHooks {
  /** Where the run's events go while it runs (ws-hub.ts, or the CLI). */
  events: RunEvents;
  /** Called once, with the final record, before anyone has been told the run ended. */
  onEnded(record: RunRecord): void;
  /** The Python interpreter, for python experiments. */
  python?: string;
  /** How to start the worker; tests pass misbehaving ones. */
  spawn?: SpawnWorker;
  /** The worker's CPU priority (worker-priority.ts; default there). */
  workerNice?: number;
}

/** What the worker is started with (shared/protocol/worker.ts): the phase script and its timings. */
export const workerSpec = (record: RunRecord): WorkerSpec =>
  specForRun({ experiment: record.experiment, params: record.params, knobs: record.knobs, settleMs: record.settleMs, custom: record.experiment === CUSTOM_EXPERIMENT });

export class Run {
  /** Everything but the RSS samples, which stay packed in `samples` until the record is asked for. */
  private readonly record: RunRecord;
  private readonly samples = new SampleLog();
  /** The phases this worker must walk, in order (trim only when asked for). */
  private readonly expectedPhases: readonly string[];
  private worker?: WorkerHandle;
  private sampler?: RssSampler;
  private flushTimer?: NodeJS.Timeout;
  private wallClockTimer?: NodeJS.Timeout;
  private pendingHeap: HeapSample[] = [];
  private done = false;
  private ended = false;
  private cancelled?: string;
  private failure?: string;

  constructor(record: RunRecord, private readonly hooks: RunHooks) {
    this.record = record;
    this.expectedPhases = phasesOf({ trim: record.knobs.trim });
  }

  get id(): string {
    return this.record.id;
  }

  info(): RunInfo {
    return runInfo(this.record);
  }

  /** The record as it stands, samples included. */
  snapshot(): RunRecord {
    return { ...this.record, samples: this.samples.toSamples() };
  }

  /** Spawns the worker (throws when it cannot) and starts sampling it. */
  start(): void {
    const { record, hooks } = this;
    const spawn = hooks.spawn ?? spawnWorker;
    this.worker = spawn(experimentRuntime(record), workerSpec(record), {
      onMessage: (m) => this.handle(m),
      onProtocolError: (reason) => this.fail(reason),
      onExit: (code, signal, stderr) => this.finish(code, signal, stderr),
    }, { python: hooks.python, env: record.workerEnv, memoryCapMiB: record.memoryCapMiB, ...(record.code && { code: record.code }), ...(hooks.workerNice !== undefined && { nice: hooks.workerNice }) });
    // createdAt is the moment it starts (t = 0 on the chart), not when it was queued.
    Object.assign(record, { status: 'running', createdAt: now(), pid: this.worker.pid });
    const cap = record.memoryCapMiB;
    this.sampler = startRssSampler(this.worker.pid, record.sampleHz, (batch) => this.addSamples(batch), {
      batchMs: this.batchMs(),
      ...(cap !== undefined && { capBytes: cap * MiB, onBreach: () => this.fail(memoryCapReason(cap, lastPhaseName(record.phases))) }),
      onWarning: (message) => console.warn(`memtide: run ${this.id}: ${message}`),
    });
    record.sampler = this.sampler.method;
    const wallClockCapS = record.wallClockCapS;
    if (wallClockCapS !== undefined) {
      this.wallClockTimer = setTimeout(() => this.fail(wallClockReason(wallClockCapS, lastPhaseName(record.phases))), wallClockCapS * 1000);
    }
    this.flushTimer = setInterval(() => {
      this.flush();
      this.sampler?.setBatchMs(this.batchMs()); // a dashboard opened or closed meanwhile
    }, FLUSH_MS);
    hooks.events.send({ type: 'run-started', run: this.info() });
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
    switch (message.type) {
      case 'ready':
        return this.ready(message);
      case 'heap':
        return this.addHeap({ t: message.t, ...message.heap, phase: openPhase(this.record.phases) });
      case 'phase':
        return this.phase(message);
      case 'done':
        this.done = true;
        return;
      case 'error':
        if (message.code) return this.codeFailed({ ...message.code, phase: message.phase ?? message.code.field, message: message.message });
        // fail() kills too: a worker that reports an error and lingers must not outlive the caps.
        return this.fail(message.phase ? `worker failed in phase ${message.phase}: ${message.message}` : `worker failed: ${message.message}`);
    }
  }

  /** The user's code failed: where (the editor marks that line) and why, in words. */
  private codeFailed(error: CodeError): void {
    if (this.ended || this.failure) return;
    this.record.codeError = error;
    this.fail(codeErrorReason(error));
  }

  /** Records what the worker runs under, and fails the run if that is not what was asked for. */
  private ready(message: ReadyMessage): void {
    const { record } = this;
    record.runtimeVersion = message.version;
    if (message.env) record.workerEnvSeen = message.env;
    if (message.objectAllocator) record.objectAllocator = message.objectAllocator;
    if (hasProc() && record.pid !== undefined) record.mallocLibrary = readMallocLibrary(record.pid);
    const wrong = readyError(record, message);
    if (wrong) return this.fail(wrong);
    this.hooks.events.send({ type: 'run-updated', run: this.info() });
  }

  private phase(message: PhaseMessage): void {
    const wrong = phaseEdgeError(this.record.phases, this.expectedPhases, message);
    if (wrong) return this.fail(wrong);
    applyPhaseEdge(this.record.phases, message);
    this.addHeap({ t: message.t, ...message.heap, phase: message.phase });
    this.flush();
    this.hooks.events.send({ type: 'phase', runId: this.id, phase: message.phase, edge: message.edge, t: message.t });
    if (message.edge === 'end') this.readBreakdown(message);
    // The next run's sampler (process or thread) starts where nothing is being timed: settle idles by design.
    if (message.edge === 'start' && message.phase === 'settle') prewarmSampler();
  }

  /**
   * The worker waits after each phase end until acked, so the breakdown belongs to that instant.
   * Read off the main thread (sampling/breakdown-reader.ts): it takes 40-60 ms for a big process,
   * and samples must keep streaming meanwhile.
   */
  private readBreakdown({ phase, t }: PhaseMessage): void {
    const pid = this.record.pid;
    if (!hasProc() || pid === undefined) return this.worker?.ack();
    void readBreakdown(pid, phase, t, this.hooks.workerNice).then((breakdown) => {
      if (this.ended || this.failure) return; // killed, cancelled or failed meanwhile: nothing waits for it
      if (breakdown) {
        this.record.breakdowns.push(breakdown);
        this.hooks.events.send({ type: 'breakdown', runId: this.id, breakdown });
      }
      this.worker?.ack();
    });
  }

  private addHeap(sample: HeapSample): void {
    if (this.record.heap.length >= MAX_HEAP_REPORTS) return this.fail(`worker sent more than ${MAX_HEAP_REPORTS} heap reports`);
    this.record.heap.push(sample);
    this.pendingHeap.push(sample);
  }

  private addSamples(batch: PackedSamples): void {
    roundToMicros(batch);
    this.samples.append(batch);
    this.hooks.events.samples(this.id, batch);
  }

  /** Short batches only while someone watches live: each batch wakes this thread. */
  private batchMs(): number {
    return this.hooks.events.watching() ? BATCH_MS : IDLE_BATCH_MS;
  }

  private flush(): void {
    if (this.pendingHeap.length === 0) return;
    this.hooks.events.send({ type: 'heap', runId: this.id, heap: this.pendingHeap });
    this.pendingHeap = [];
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = now();
    prewarmSampler(); // if the run never reached settle
    // The sampler may still hold a last batch: wait for it before the record is closed.
    void (this.sampler?.stop() ?? Promise.resolve()).then(() => this.close(endedAt, code, signal, stderr));
  }

  private close(endedAt: number, code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    clearInterval(this.flushTimer);
    clearTimeout(this.wallClockTimer);
    this.flush();
    const record = this.snapshot();
    record.endedAt = endedAt;
    const output = record.code && this.worker?.output?.();
    if (output) record.output = output;
    const stats = samplingStats(record.samples);
    if (stats) {
      record.achievedHz = Math.round(stats.achievedHz * 10) / 10;
      record.sampleGapP99Ms = Math.round(stats.gapP99Ms * 100) / 100;
    }
    const outcome = runOutcome({
      cancelled: this.cancelled, failure: this.failure, code, signal, stderr, done: this.done,
      memoryCapMiB: record.memoryCapMiB, lastPhase: lastPhaseName(record.phases), summarize: () => computeSummary(record),
    });
    record.status = outcome.status;
    if (outcome.status === 'finished') record.summary = outcome.summary;
    else record.error = outcome.error;
    this.hooks.onEnded(record);
  }
}

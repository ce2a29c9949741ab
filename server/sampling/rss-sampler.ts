// Samples a worker's RSS from outside at a fixed rate, from spawn to exit, so the timeline stays
// alive while the worker's own event loop is blocked inside an allocation loop. Three ways, best
// first: a thread of its own reading /proc (up to 1 kHz with regular timestamps), the same read on
// a main-thread timer (fallback: setInterval tops out near 900 Hz with ms jitter), and pidusage
// where there is no /proc (~0.3 ms a call, so tens of Hz).
import { now } from '../../shared/units.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import pidusage from 'pidusage';
import type { Sample } from '../../shared/run-record.js';
import { distDir } from '../paths.js';
import { hasProc, openStatm, pageSize } from './proc-statm.js';
import { BATCH_SLOT, CONTROL_BYTES, HZ_SLOT, READY, STATE, STOPPED, type SamplerThreadData, type SamplerThreadMessage } from './sampler-thread.js';

export type SamplerMethod = 'proc-statm-thread' | 'proc-statm' | 'pidusage';

/** The thread runs compiled, from source too (vitest): a worker_thread cannot load TypeScript. */
export const samplerThreadScript = resolve(distDir, 'server/sampling/sampler-thread.js');

/** Batches leave the sampler at least this often: the delay a reading waits before it is sent. */
export const BATCH_MS = 10;

export interface RssSampler {
  readonly method: SamplerMethod;
  /** Resolves once every reading taken has been delivered and the sampler is idle. */
  stop(): Promise<void>;
}

export interface SamplerOptions {
  /** Default: the thread where /proc exists, else pidusage. */
  method?: SamplerMethod;
  batchMs?: number;
  /** Told when the thread fails and the sampler falls back to the main-thread timer. */
  onWarning?(message: string): void;
}


export const defaultMethod = (): SamplerMethod =>
  !hasProc() ? 'pidusage' : existsSync(samplerThreadScript) ? 'proc-statm-thread' : 'proc-statm';

export function startRssSampler(pid: number, hz: number, onSamples: (batch: Sample[]) => void, options: SamplerOptions = {}): RssSampler {
  const method = options.method ?? defaultMethod();
  const batchMs = options.batchMs ?? BATCH_MS;
  if (method === 'proc-statm-thread') return startThreadSampler(pid, hz, batchMs, onSamples, options.onWarning);
  if (method === 'proc-statm') return startTimerSampler(pid, hz, batchMs, onSamples);
  return startPidusageSampler(pid, hz, batchMs, onSamples);
}

interface SamplerThread {
  worker: Worker;
  control: SharedArrayBuffer;
}

let spare: SamplerThread | undefined;

function newSamplerThread(): SamplerThread {
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const data: SamplerThreadData = { bytesPerPage: pageSize(), control };
  const worker = new Worker(samplerThreadScript, { workerData: data, stdout: false, stderr: false });
  worker.unref(); // a waiting thread never keeps the server alive
  const thread = { worker, control };
  // A spare that dies is simply not used; once taken, the sampler's own handlers take over.
  worker.on('error', () => spare === thread && (spare = undefined));
  return thread;
}

/** Starts a sampler thread ahead of the next run, so its sampling begins at spawn. */
export function prewarmSamplerThread(): void {
  if (!spare && defaultMethod() === 'proc-statm-thread') spare = newSamplerThread();
}

function startThreadSampler(pid: number, hz: number, batchMs: number, onSamples: (batch: Sample[]) => void, onWarning?: (m: string) => void): RssSampler {
  const { worker: thread, control } = spare ?? newSamplerThread();
  // The next run's thread starts now: it is up (~50 ms) long before this run's baseline ends, and
  // runs that follow each other at once (a queue) still start sampling at spawn.
  spare = undefined;
  prewarmSamplerThread();
  const state = new Int32Array(control, 0, 2);
  const settings = new Float64Array(control);
  settings[HZ_SLOT] = hz;
  settings[BATCH_SLOT] = batchMs;
  if (Atomics.load(state, READY) === 0) {
    // The thread is still starting (~30-50 ms): take one reading now, on this thread, so the
    // timeline begins at spawn. Delivered after the caller has announced the run.
    const first = readOnce(pid);
    if (first) queueMicrotask(() => onSamples([first]));
  }
  Atomics.store(state, STATE, pid);
  Atomics.notify(state, STATE);
  let fallback: RssSampler | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  thread.on('message', (message: SamplerThreadMessage) => {
    if (message instanceof Float64Array) {
      const batch: Sample[] = new Array(message.length / 2);
      for (let i = 0; i < batch.length; i++) batch[i] = { t: message[2 * i]!, rss: message[2 * i + 1]! };
      onSamples(batch);
    } else {
      if (message.end === 'error') onWarning?.(`sampler thread for pid ${pid}: ${message.error}`);
      resolveEnded();
    }
  });
  thread.on('error', (error) => {
    // Keep the timeline alive on the main thread rather than lose the rest of the run.
    onWarning?.(`sampler thread for pid ${pid} failed (${error.message}); sampling on the main thread`);
    try {
      if (Atomics.load(state, STATE) !== STOPPED) fallback = startTimerSampler(pid, hz, batchMs, onSamples);
    } catch {
      // The process is gone as well: nothing left to sample.
    }
    resolveEnded();
  });
  thread.on('exit', () => resolveEnded());
  return {
    method: 'proc-statm-thread',
    async stop() {
      Atomics.store(state, STATE, STOPPED);
      Atomics.notify(state, STATE);
      const timeout = new Promise<void>((r) => setTimeout(r, 1000).unref());
      await Promise.race([ended, timeout]);
      await fallback?.stop();
      await thread.terminate();
    },
  };
}

function readOnce(pid: number): Sample | undefined {
  try {
    const statm = openStatm(pid);
    const t = now();
    const rss = statm.read();
    statm.close();
    return rss ? { t, rss } : undefined;
  } catch {
    return undefined;
  }
}

/** Collects readings and hands them on at most every batchMs (and whatever is left on flush). */
function batcher(batchMs: number, onSamples: (batch: Sample[]) => void) {
  let pending: Sample[] = [];
  let last = now();
  const flush = () => {
    if (pending.length > 0) onSamples(pending);
    pending = [];
  };
  return {
    add(sample: Sample) {
      pending.push(sample);
      if (sample.t - last >= batchMs) {
        last = sample.t;
        flush();
      }
    },
    flush,
  };
}

function startTimerSampler(pid: number, hz: number, batchMs: number, onSamples: (batch: Sample[]) => void): RssSampler {
  const statm = openStatm(pid);
  const out = batcher(batchMs, onSamples);
  const tick = () => {
    const t = now();
    const rss = statm.read();
    if (rss) out.add({ t, rss }); // 0: a zombie; undefined: gone
  };
  tick();
  const timer = setInterval(tick, 1000 / hz);
  return {
    method: 'proc-statm',
    async stop() {
      clearInterval(timer);
      statm.close();
      out.flush();
    },
  };
}

function startPidusageSampler(pid: number, hz: number, batchMs: number, onSamples: (batch: Sample[]) => void): RssSampler {
  const out = batcher(batchMs, onSamples);
  let busy: Promise<void> | undefined;
  const tick = () => {
    if (busy) return; // pidusage is async and slow (~0.3 ms); never stack calls
    const t = now();
    busy = pidusage(pid)
      .then((stat) => stat.memory > 0 && out.add({ t, rss: stat.memory }))
      .catch(() => undefined)
      .then(() => (busy = undefined));
  };
  tick();
  const timer = setInterval(tick, 1000 / hz);
  return {
    method: 'pidusage',
    async stop() {
      clearInterval(timer);
      await busy;
      pidusage.clear();
      out.flush();
    },
  };
}

// Samples a worker's RSS from outside at a fixed rate, from spawn to exit, so the timeline stays
// alive while the worker's own event loop is blocked inside an allocation loop. Three ways, best
// first: a thread of its own reading /proc (up to 1 kHz with regular timestamps), the same read on
// a main-thread timer (fallback: setInterval tops out near 900 Hz with ms jitter), and pidusage
// where there is no /proc (~0.3 ms a call, so tens of Hz). Each also watches the memory cap: it
// reads at MEMORY_WATCH_HZ or more, records every readingsPerSample()-th reading, and tells
// onBreach (once) of the first reading over the cap, which it records too.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import pidusage from 'pidusage';
import { now } from '../../shared/units.js';
import { distDir } from '../paths.js';
import type { PackedSamples } from './packed-samples.js';
import { hasProc, openStatm, pageSize } from './proc-statm.js';
import {
  BATCH_SLOT, CAP_SLOT, CONTROL_BYTES, HZ_SLOT, MAX_BATCH_MS, READY, readingsPerSample, STATE, STOPPED, type SamplerThreadData, type SamplerThreadMessage,
} from './sampler-thread.js';

export type SamplerMethod = 'proc-statm-thread' | 'proc-statm' | 'pidusage';

/** The thread runs compiled, from source too (vitest): a worker_thread cannot load TypeScript. */
export const samplerThreadScript = resolve(distDir, 'server/sampling/sampler-thread.js');

/**
 * Batches leave the sampler at least this often while someone watches live: the delay a reading
 * waits before it is sent. With no one watching, every IDLE_BATCH_MS: each batch wakes the main
 * thread, and a hundred wake-ups a second cost ~1 % of a core for nobody (bench/sampler.ts).
 */
export const BATCH_MS = 10;
export const IDLE_BATCH_MS = MAX_BATCH_MS;

export interface RssSampler {
  readonly method: SamplerMethod;
  /** Changes how long readings may wait to be handed over (BATCH_MS … IDLE_BATCH_MS). */
  setBatchMs(ms: number): void;
  /** Resolves once every reading taken has been delivered and the sampler is idle. */
  stop(): Promise<void>;
}

export interface SamplerOptions {
  /** Default: the thread where /proc exists, else pidusage. */
  method?: SamplerMethod;
  batchMs?: number;
  /** The memory cap in bytes: onBreach is told of the first reading over it. */
  capBytes?: number;
  onBreach?(rss: number): void;
  /** Told when the thread fails and the sampler falls back to the main-thread timer. */
  onWarning?(message: string): void;
}

export type OnSamples = (batch: PackedSamples) => void;


export const defaultMethod = (): SamplerMethod =>
  !hasProc() ? 'pidusage' : existsSync(samplerThreadScript) ? 'proc-statm-thread' : 'proc-statm';

export function startRssSampler(pid: number, hz: number, onSamples: OnSamples, options: SamplerOptions = {}): RssSampler {
  const method = options.method ?? defaultMethod();
  const settings: Settings = { hz, batchMs: options.batchMs ?? BATCH_MS, capBytes: options.capBytes ?? 0, onSamples, onBreach: options.onBreach ?? (() => undefined) };
  if (method === 'proc-statm-thread') return startThreadSampler(pid, settings, options.onWarning);
  if (method === 'proc-statm') return startTimerSampler(pid, settings);
  return startPidusageSampler(pid, settings);
}

interface Settings {
  hz: number;
  batchMs: number;
  /** 0: no cap. */
  capBytes: number;
  onSamples: OnSamples;
  onBreach(rss: number): void;
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

function startThreadSampler(pid: number, sampling: Settings, onWarning?: (m: string) => void): RssSampler {
  const { hz, batchMs, capBytes, onSamples, onBreach } = sampling;
  const { worker: thread, control } = spare ?? newSamplerThread();
  // The next run's thread is started later, in this run's settle (run.ts): a thread's start-up is
  // ~40 ms of CPU, and started here it competed with the worker's own start on a 2-core machine
  // (the first samples reached the dashboard ~60 ms late).
  spare = undefined;
  const state = new Int32Array(control, 0, 2);
  const settings = new Float64Array(control);
  settings[HZ_SLOT] = hz;
  settings[BATCH_SLOT] = batchMs;
  settings[CAP_SLOT] = capBytes;
  if (Atomics.load(state, READY) === 0) {
    // The thread is still starting (~30-50 ms): take one reading now, on this thread, so the
    // timeline begins at spawn. Delivered after the caller has announced the run.
    const first = readOnce(pid);
    if (first) queueMicrotask(() => onSamples(first));
  }
  Atomics.store(state, STATE, pid);
  Atomics.notify(state, STATE);
  let fallback: RssSampler | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  thread.on('message', (message: SamplerThreadMessage) => {
    if (message instanceof Float64Array) onSamples(message);
    else if ('breach' in message) onBreach(message.breach);
    else {
      if (message.end === 'error') onWarning?.(`sampler thread for pid ${pid}: ${message.error}`);
      resolveEnded();
    }
  });
  thread.on('error', (error) => {
    // Keep the timeline alive on the main thread rather than lose the rest of the run.
    onWarning?.(`sampler thread for pid ${pid} failed (${error.message}); sampling on the main thread`);
    try {
      if (Atomics.load(state, STATE) !== STOPPED) fallback = startTimerSampler(pid, sampling);
    } catch {
      // The process is gone as well: nothing left to sample.
    }
    resolveEnded();
  });
  thread.on('exit', () => resolveEnded());
  return {
    method: 'proc-statm-thread',
    setBatchMs(ms) {
      settings[BATCH_SLOT] = Math.min(ms, MAX_BATCH_MS);
      fallback?.setBatchMs(ms);
    },
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

function readOnce(pid: number): PackedSamples | undefined {
  try {
    const statm = openStatm(pid);
    const t = now();
    const rss = statm.read();
    statm.close();
    return rss ? Float64Array.of(t, rss) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The main-thread samplers' loop: one call of take() per reading, MEMORY_WATCH_HZ or more a
 * second; it records every `every`-th reading and the first over the cap, and hands the recorded
 * ones on at most every batchMs (and whatever is left on flush).
 */
function watcher({ hz, batchMs, capBytes, onSamples, onBreach }: Settings) {
  let batchPeriod = batchMs;
  const every = readingsPerSample(hz);
  let pending: number[] = [];
  let last = now();
  let reading = 0;
  let breached = capBytes <= 0;
  const flush = () => {
    if (pending.length > 0) onSamples(Float64Array.from(pending));
    pending = [];
  };
  return {
    periodMs: 1000 / hz / every,
    take(t: number, rss: number) {
      const onGrid = reading++ % every === 0;
      const breach = !breached && rss > capBytes;
      if (onGrid || breach) pending.push(t, rss);
      if (breach) {
        breached = true;
        flush();
        onBreach(rss);
      } else if (t - last >= batchPeriod) {
        last = t;
        flush();
      }
    },
    flush,
    setBatchMs: (ms: number) => void (batchPeriod = ms),
  };
}

function startTimerSampler(pid: number, settings: Settings): RssSampler {
  const statm = openStatm(pid);
  const out = watcher(settings);
  const tick = () => {
    const t = now();
    const rss = statm.read();
    if (rss) out.take(t, rss); // 0: a zombie; undefined: gone
  };
  tick();
  const timer = setInterval(tick, out.periodMs);
  return {
    method: 'proc-statm',
    setBatchMs: out.setBatchMs,
    async stop() {
      clearInterval(timer);
      statm.close();
      out.flush();
    },
  };
}

function startPidusageSampler(pid: number, settings: Settings): RssSampler {
  const out = watcher(settings);
  let busy: Promise<void> | undefined;
  const tick = () => {
    if (busy) return; // pidusage is async and slow (~0.3 ms); never stack calls
    const t = now();
    busy = pidusage(pid)
      .then((stat) => stat.memory > 0 && out.take(t, stat.memory))
      .catch(() => undefined)
      .then(() => (busy = undefined));
  };
  tick();
  const timer = setInterval(tick, out.periodMs);
  return {
    method: 'pidusage',
    setBatchMs: out.setBatchMs,
    async stop() {
      clearInterval(timer);
      await busy;
      pidusage.clear();
      out.flush();
    },
  };
}

// The sampler on a Node worker_thread of its own (sampler-thread.ts): the way where the native
// sampler process cannot run (no C compiler when memtide was built). The thread's start-up is
// ~40 ms of CPU, so one is started ahead of its run and waits for a pid.
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { distDir } from '../paths.js';
import { readOnce, timerFallback } from './main-thread-samplers.js';
import { pageSize } from './proc-statm.js';
import {
  BATCH_SLOT, CAP_SLOT, CONTROL_BYTES, HZ_SLOT, READY, STATE, STOPPED, type SamplerThreadData, type SamplerThreadMessage,
} from './sampler-thread.js';
import { MAX_BATCH_MS, untilEndedOrLate, type RssSampler, type SamplerSettings } from './sampler-types.js';

/** The thread runs compiled, from source too (vitest): a worker_thread cannot load TypeScript. */
export const samplerThreadScript = resolve(distDir, 'server/sampling/sampler-thread.js');

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
  spare ??= newSamplerThread();
}

export function startThreadSampler(pid: number, sampling: SamplerSettings, onWarning?: (m: string) => void): RssSampler {
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
    onWarning?.(`sampler thread for pid ${pid} failed (${error.message}); sampling on the main thread`);
    if (Atomics.load(state, STATE) !== STOPPED) fallback = timerFallback(pid, sampling);
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
      await untilEndedOrLate(ended);
      await fallback?.stop();
      await thread.terminate();
    },
  };
}

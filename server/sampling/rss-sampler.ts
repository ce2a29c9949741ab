// Samples a worker's RSS from outside at a fixed rate, from spawn to exit, so the timeline stays
// alive while the worker's own event loop is blocked inside an allocation loop. Four ways, best
// first: a small native process reading /proc (native-sampler.c: 1 kHz with regular timestamps at
// the cost of a bare C loop), the same loop on a Node thread of its own (sampler-thread.ts, where
// memtide was built without a C compiler: ~2× the CPU), the read on a main-thread timer, and
// pidusage where there is no /proc. Each also watches the memory cap: it reads at MEMORY_WATCH_HZ
// or more, records every readingsPerSample()-th reading, and tells onBreach (once) of the first
// reading over the cap, which it records too.
import { existsSync } from 'node:fs';
import { startPidusageSampler, startTimerSampler } from './main-thread-samplers.js';
import { hasNativeSampler, prewarmNativeSampler, startNativeSampler } from './native-sampler.js';
import { hasProc } from './proc-statm.js';
import { MAX_BATCH_MS, type OnSamples, type RssSampler, type SamplerMethod, type SamplerSettings } from './sampler-types.js';
import { prewarmSamplerThread, samplerThreadScript, startThreadSampler } from './thread-sampler.js';

export type { OnSamples, RssSampler, SamplerMethod } from './sampler-types.js';

/**
 * Batches leave the sampler at least this often while someone watches live: the delay a reading
 * waits before it is sent. With no one watching, every IDLE_BATCH_MS: each batch wakes the main
 * thread, and a hundred wake-ups a second cost ~1 % of a core for nobody (bench/sampler.ts).
 */
export const BATCH_MS = 10;
export const IDLE_BATCH_MS = MAX_BATCH_MS;

export interface SamplerOptions {
  /** Default: defaultMethod(). */
  method?: SamplerMethod;
  batchMs?: number;
  /** The memory cap in bytes: onBreach is told of the first reading over it. */
  capBytes?: number;
  onBreach?(rss: number): void;
  /** Told when the sampler process or thread fails and the sampler falls back to the main-thread timer. */
  onWarning?(message: string): void;
}

export function defaultMethod(): SamplerMethod {
  if (!hasProc()) return 'pidusage';
  if (hasNativeSampler()) return 'proc-statm-native';
  return existsSync(samplerThreadScript) ? 'proc-statm-thread' : 'proc-statm';
}

export function startRssSampler(pid: number, hz: number, onSamples: OnSamples, options: SamplerOptions = {}): RssSampler {
  const method = options.method ?? defaultMethod();
  const settings: SamplerSettings = { hz, batchMs: options.batchMs ?? BATCH_MS, capBytes: options.capBytes ?? 0, onSamples, onBreach: options.onBreach ?? (() => undefined) };
  if (method === 'proc-statm-native') return startNativeSampler(pid, settings, options.onWarning);
  if (method === 'proc-statm-thread') return startThreadSampler(pid, settings, options.onWarning);
  if (method === 'proc-statm') return startTimerSampler(pid, settings);
  return startPidusageSampler(pid, settings);
}

/** Starts the next run's sampler process or thread ahead of it, so its sampling begins at spawn. */
export function prewarmSampler(): void {
  const method = defaultMethod();
  if (method === 'proc-statm-native') prewarmNativeSampler();
  else if (method === 'proc-statm-thread') prewarmSamplerThread();
}

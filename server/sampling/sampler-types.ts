// What every way of sampling a worker's RSS offers, what it is given, and the two facts they all
// follow (rss-sampler.ts picks the way).
import { MEMORY_WATCH_HZ } from '../run-limits.js';
import type { PackedSamples } from './packed-samples.js';

/** The longest batch period a sampler is sized for. */
export const MAX_BATCH_MS = 100;

/** How long stop() waits for a sampler process or thread to hand over its last readings. */
const STOP_WAIT_MS = 1000;

/** `ended`, or STOP_WAIT_MS, whichever comes first. */
export const untilEndedOrLate = (ended: Promise<void>): Promise<void> =>
  Promise.race([ended, new Promise<void>((r) => setTimeout(r, STOP_WAIT_MS).unref())]);

/** How many readings a sampler takes per recorded sample, so that it reads at MEMORY_WATCH_HZ or more. */
export const readingsPerSample = (hz: number): number => Math.max(1, Math.ceil(MEMORY_WATCH_HZ / hz));

/** Best first: a native process, a Node thread, a main-thread timer (all reading /proc), pidusage. */
export type SamplerMethod = 'proc-statm-native' | 'proc-statm-thread' | 'proc-statm' | 'pidusage';

export interface RssSampler {
  readonly method: SamplerMethod;
  /** The sampler's own process, where it is one (the native sampler). */
  readonly pid?: number;
  /** Changes how long readings may wait to be handed over (BATCH_MS … IDLE_BATCH_MS). */
  setBatchMs(ms: number): void;
  /** Resolves once every reading taken has been delivered and the sampler is idle. */
  stop(): Promise<void>;
}

export type OnSamples = (batch: PackedSamples) => void;

export interface SamplerSettings {
  hz: number;
  batchMs: number;
  /** 0: no cap. */
  capBytes: number;
  onSamples: OnSamples;
  onBreach(rss: number): void;
}

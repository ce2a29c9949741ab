// What every way of sampling a worker's RSS offers, and what it is given (rss-sampler.ts picks the way).
import type { PackedSamples } from './packed-samples.js';

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

// How regular a run's sampling really was: the rate achieved and the p99 gap between timestamps.

/** The q-quantile (0…1) of values, nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface SamplingStats {
  /** Samples per second between the first and the last sample. */
  achievedHz: number;
  /** 99th percentile of the gaps between consecutive samples (ms). */
  gapP99Ms: number;
}

/** Undefined with fewer than two samples (no interval to measure). Samples sorted by t. */
export function samplingStats(samples: readonly { t: number }[]): SamplingStats | undefined {
  if (samples.length < 2) return undefined;
  const span = samples.at(-1)!.t - samples[0]!.t;
  if (span <= 0) return undefined;
  const gaps = new Array<number>(samples.length - 1);
  for (let i = 1; i < samples.length; i++) gaps[i - 1] = samples[i]!.t - samples[i - 1]!.t;
  return { achievedHz: ((samples.length - 1) * 1000) / span, gapP99Ms: quantile(gaps, 0.99) };
}

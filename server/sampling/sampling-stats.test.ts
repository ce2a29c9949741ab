import { describe, expect, it } from 'vitest';
import { quantile, samplingStats } from './sampling-stats.js';

describe('samplingStats', () => {
  it('gives the rate between the first and last sample and the p99 gap', () => {
    const samples = Array.from({ length: 1001 }, (_, i) => ({ t: 1000 + i + (i === 500 ? 0.5 : 0) }));
    const stats = samplingStats(samples)!;
    expect(stats.achievedHz).toBeCloseTo(1000, 6);
    expect(stats.gapP99Ms).toBe(1);
    samples.splice(100, 10); // an 11 ms hole among 1000 gaps is under the 99th percentile
    expect(samplingStats(samples)!.gapP99Ms).toBe(1);
  });

  it('needs two samples over a positive span', () => {
    expect(samplingStats([])).toBeUndefined();
    expect(samplingStats([{ t: 1 }])).toBeUndefined();
    expect(samplingStats([{ t: 1 }, { t: 1 }])).toBeUndefined();
  });

  it('quantile is nearest-rank', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

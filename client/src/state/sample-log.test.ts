// The packed sample log: appends in place only at its tip, so older states keep their samples.
import { describe, expect, it } from 'vitest';
import { appendSamples, emptyLog, logOf, logToSamples } from './sample-log.js';

const samples = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ t: from + i, rss: (from + i) * 10 }));

describe('sample log', () => {
  it('drops samples not newer than its last, and keeps time increasing', () => {
    let log = logOf(samples(0, 5));
    log = appendSamples(log, [...samples(3, 8), { t: 6, rss: 1 }]);
    expect(logToSamples(log).map((s) => s.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(appendSamples(log, samples(0, 8))).toBe(log); // nothing new: the same log
  });

  it('two branches from one log do not see each other', () => {
    const base = logOf(samples(0, 3));
    const a = appendSamples(base, [{ t: 10, rss: 1 }]);
    const b = appendSamples(base, [{ t: 20, rss: 2 }]);
    expect(logToSamples(base).map((s) => s.t)).toEqual([0, 1, 2]);
    expect(logToSamples(a).map((s) => s.t)).toEqual([0, 1, 2, 10]);
    expect(logToSamples(b).map((s) => s.t)).toEqual([0, 1, 2, 20]);
    expect(a.xs).toBe(base.xs); // the first append wrote in place…
    expect(b.xs).not.toBe(base.xs); // …the second had to copy
  });

  it('grows past its capacity', () => {
    const log = appendSamples(emptyLog(4), samples(0, 5000));
    expect(log.length).toBe(5000);
    expect(log.ys[4999]).toBe(49_990);
  });
});

// Summary math and verdict on recorded numbers (the seed's own figures among them).
import { describe, expect, it } from 'vitest';
import type { HeapSample, Phase, Sample } from './schemas.js';
import { computeSummary, judge, MiB, nearestAtOrBefore, percentOfBaseline } from './summary.js';

describe('percentOfBaseline', () => {
  it("reproduces the seed's table from its RSS readings", () => {
    // mem1..mem3 chosen so pd() gives the seed's printed figures for mem0 = 10 MB.
    const mem0 = 10_000_000;
    const mem1 = mem0 + 303_436_000;
    const mem2 = mem1 - 75_239_000;
    const mem3 = mem2 - 227_974_000;
    expect(percentOfBaseline(mem1, mem0, mem0)).toBeCloseTo(3034.36, 2);
    expect(percentOfBaseline(mem2, mem1, mem0)).toBeCloseTo(-752.39, 2);
    expect(percentOfBaseline(mem3, mem2, mem0)).toBeCloseTo(-2279.74, 2);
    expect(percentOfBaseline(mem3, mem0, mem0)).toBeCloseTo(2.23, 2);
  });
});

describe('nearestAtOrBefore', () => {
  const items = [{ t: 10 }, { t: 20 }, { t: 30 }];
  it('takes the last item at or before t, else the first', () => {
    expect(nearestAtOrBefore(items, 25)!.t).toBe(20);
    expect(nearestAtOrBefore(items, 30)!.t).toBe(30);
    expect(nearestAtOrBefore(items, 5)!.t).toBe(10);
    expect(nearestAtOrBefore([], 5)).toBeUndefined();
  });
});

// A recorded big-buffers run, thinned: RSS (MiB) over time, phases ending at 300/470/471/475/1475 ms.
const phases: Phase[] = [
  { name: 'baseline', start: 0, end: 300 },
  { name: 'allocate', start: 300, end: 470 },
  { name: 'unreference', start: 470, end: 471 },
  { name: 'collect', start: 471, end: 475 },
  { name: 'settle', start: 475, end: 1475 },
];
const samples: Sample[] = [
  [0, 42], [290, 44], [300, 44], [400, 200], [470, 313], [472, 313], [476, 312], [600, 60], [1470, 45],
].map(([t, mib]) => ({ t: t!, rss: mib! * MiB }));
const heap = (external: number): HeapSample[] => [
  { t: 300, heapUsed: 3 * MiB, external: 2 * MiB },
  { t: 470, heapUsed: 3 * MiB, external: 258 * MiB },
  { t: 1475, heapUsed: 3 * MiB, external: external * MiB },
];

describe('computeSummary', () => {
  it('reads RSS at each phase end and gives the seed percentages', () => {
    const s = computeSummary({ phases, samples, heap: heap(2) })!;
    expect([s.mem0, s.mem1, s.mem2, s.mem3, s.mem4].map((m) => m / MiB)).toEqual([44, 313, 313, 313, 45]);
    expect(s.peak / MiB).toBe(313);
    expect(s.allocationPct).toBeCloseTo((100 * 269) / 44, 6);
    expect(s.collectPct).toBe(0);
    expect(s.allocationPct + s.unreferencePct + s.collectPct).toBeCloseTo(s.overallPct, 9);
    expect(s.overallPct + s.settlePct).toBeCloseTo(s.finalPct, 9);
    expect(s.verdict).toBe('released');
  });

  it("prefers the worker's own RSS reading taken at the phase end", () => {
    const withOwn = [...heap(2), { t: 470.5, rss: 999 * MiB }, { t: 470, rss: 320 * MiB }].sort((a, b) => a.t - b.t);
    const s = computeSummary({ phases, samples, heap: withOwn })!;
    expect(s.mem1 / MiB).toBe(320);
    expect(s.mem0 / MiB).toBe(44); // no reading of its own at 300: the outside sample
  });

  it('is null until every phase has ended', () => {
    expect(computeSummary({ phases: phases.slice(0, 4), samples, heap: [] })).toBeNull();
    expect(computeSummary({ phases: [...phases.slice(0, 4), { name: 'settle', start: 475 }], samples, heap: [] })).toBeNull();
    expect(computeSummary({ phases, samples: [], heap: [] })).toBeNull();
  });
});

describe('judge (verdict thresholds)', () => {
  const base = 40 * MiB;
  it('released: within max(4 MiB, 10 % of growth)', () => {
    expect(judge(base, base + 100 * MiB, base + 9 * MiB).verdict).toBe('released');
    expect(judge(base, base + 10 * MiB, base + 3.9 * MiB).verdict).toBe('released');
    expect(judge(base, base + 100 * MiB, base + 11 * MiB).verdict).not.toBe('released');
  });
  it('retained by allocator: RSS stays while the heap went back', () => {
    const v = judge(base, base + 400 * MiB, base + 380 * MiB, 5 * MiB, 400 * MiB, 6 * MiB);
    expect(v.verdict).toBe('retained by allocator');
    expect(v.verdictText).toContain('380.0 MiB');
  });
  it('still referenced: the heap keeps at least half of its growth', () => {
    expect(judge(base, base + 100 * MiB, base + 90 * MiB, 5 * MiB, 100 * MiB, 60 * MiB).verdict).toBe('still referenced');
    expect(judge(base, base + 100 * MiB, base + 90 * MiB, 5 * MiB, 100 * MiB, 45 * MiB).verdict).toBe('retained by allocator');
  });
});

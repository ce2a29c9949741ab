// Summary math and verdict on recorded numbers (the seed's own figures among them).
import { describe, expect, it } from 'vitest';
import type { HeapSample, Phase, Sample } from './run-record.js';
import { computeSummary, heapLevel, judge, nearestAtOrBefore, percentOfBaseline, whereRetained } from './summary.js';
import { MiB } from './units.js';

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

describe('heapLevel', () => {
  it("uses arrayBuffers, not V8's lagging external counter, for Node", () => {
    // 1 s after gc(): the ArrayBuffers are swept (arrayBuffers 0) but external still says 392 MiB.
    expect(heapLevel({ heapUsed: 3 * MiB, external: 392 * MiB, arrayBuffers: 0 })).toEqual({ level: 3 * MiB, unit: 'bytes' });
    expect(heapLevel({ heapUsed: 3 * MiB, external: 5 * MiB })).toEqual({ level: 8 * MiB, unit: 'bytes' });
    expect(heapLevel({ allocatedBlocks: 40_000 })).toEqual({ level: 40_000, unit: 'blocks' });
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

describe('the trim phase and CPython figures', () => {
  // A recorded py-medium-bytes run with trim, thinned (MiB): retained in the brk heap until malloc_trim.
  const trimPhases: Phase[] = [
    { name: 'baseline', start: 0, end: 300 },
    { name: 'allocate', start: 300, end: 340 },
    { name: 'unreference', start: 340, end: 341 },
    { name: 'collect', start: 341, end: 343 },
    { name: 'trim', start: 343, end: 346 },
    { name: 'settle', start: 346, end: 1346 },
  ];
  const rss = (pairs: number[][]) => pairs.map(([t, mib]) => ({ t: t!, rss: mib! * MiB }));
  const trimSamples = rss([[0, 14], [300, 14], [340, 64], [341, 64], [343, 64], [346, 14], [1346, 14]]);
  const blocks = (at: number[][]): HeapSample[] => at.map(([t, n]) => ({ t: t!, allocatedBlocks: n! }));

  it('adds a Trim row; Overall + Trim + Settle = Overall after settle', () => {
    const s = computeSummary({ phases: trimPhases, samples: trimSamples, heap: [] })!;
    expect(s.memTrim! / MiB).toBe(14);
    expect(s.trimPct).toBeCloseTo((100 * -50) / 14, 9);
    expect(s.overallPct + s.trimPct! + s.settlePct).toBeCloseTo(s.finalPct, 9);
    expect(computeSummary({ phases: [...trimPhases.slice(0, 4), { name: 'trim', start: 343 }, trimPhases[5]!], samples: trimSamples, heap: [] })).toBeNull();
  });

  it('judges CPython by allocated blocks, as a ratio of their growth', () => {
    const kept = rss([[0, 14], [300, 14], [340, 64], [1346, 63]]);
    const noTrim = trimPhases.filter((p) => p.name !== 'trim');
    const referenced = computeSummary({ phases: noTrim, samples: kept, heap: blocks([[300, 40_000], [340, 840_000], [1346, 600_000]]) })!;
    expect(referenced.verdict).toBe('still referenced');
    expect(referenced.verdictText).toContain('560,000 blocks of the 800,000 blocks');
    const fragmented = computeSummary({ phases: noTrim, samples: kept, heap: blocks([[300, 40_000], [340, 840_000], [1346, 40_800]]) })!;
    expect(fragmented.verdict).toBe('retained by allocator');
    expect(fragmented.verdictText).toContain('0.1% of the blocks it allocated still live');
  });

  it('says where retained RSS is, from the breakdown', () => {
    const part = (phase: 'baseline' | 'settle', brkHeap: number, anonMappings: number) => ({
      t: 0, phase, rss: 0, pss: 0, anonymous: 0, privateDirty: 0, swap: 0, brkHeap: brkHeap * MiB, anonMappings: anonMappings * MiB, fileMappings: 0, otherMappings: 0,
    });
    expect(whereRetained(180 * MiB, { before: part('baseline', 2, 4), after: part('settle', 182, 4) })).toBe(' 180.0 MiB is still in the brk heap — malloc_trim would return it.');
    expect(whereRetained(180 * MiB, { before: part('baseline', 2, 4), after: part('settle', 182, 4), trimmed: true })).toContain('even after malloc_trim(0)');
    expect(whereRetained(245 * MiB, { before: part('baseline', 2, 4), after: part('settle', 2, 249) })).toMatch(/^ 245\.0 MiB is in anonymous mappings/);
    expect(whereRetained(10 * MiB, {})).toBe('');
  });
});

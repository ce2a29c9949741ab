// Summary math and verdict on recorded numbers (the seed's own figures among them).
import { describe, expect, it } from 'vitest';
import type { HeapSample, MemoryBreakdown, Phase, PhaseName, Sample } from './run-record.js';
import { computeSummary, nearestAtOrBefore, percentOfBaseline } from './summary.js';
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

  it('adds a Trim row; Overall + Trim + Settle = Overall after settle', () => {
    const s = computeSummary({ phases: trimPhases, samples: trimSamples, heap: [] })!;
    expect(s.memTrim! / MiB).toBe(14);
    expect(s.trimPct).toBeCloseTo((100 * -50) / 14, 9);
    expect(s.overallPct + s.trimPct! + s.settlePct).toBeCloseTo(s.finalPct, 9);
    expect(computeSummary({ phases: [...trimPhases.slice(0, 4), { name: 'trim', start: 343 }, trimPhases[5]!], samples: trimSamples, heap: [] })).toBeNull();
  });

  it('judges from the accounting: freed chunks kept in the brk heap are "retained by allocator", and trim returns them', () => {
    // The same py-medium-bytes run read at phase ends: 50 MiB of free chunks in [heap] until malloc_trim(0).
    const part = (phase: PhaseName, rss: number, brk: number): MemoryBreakdown => ({
      t: 0, phase, rss: rss * MiB, pss: 0, anonymous: 0, privateDirty: 0, swap: 0, brkHeap: brk * MiB, anonMappings: 4 * MiB, fileMappings: 8 * MiB, otherMappings: 0,
    });
    const figures = (t: number, phase: PhaseName, inUse: number): HeapSample => ({
      t, phase, pymalloc: { allocated: 3.6 * MiB, free: 1.3 * MiB, arenas: 5 * MiB }, glibc: { inUse: inUse * MiB, mmapped: 0.6 * MiB, free: 0.1 * MiB },
    });
    const heap = [figures(300, 'baseline', 2), figures(340, 'allocate', 52), figures(341, 'unreference', 2), figures(343, 'collect', 2), figures(346, 'trim', 2), figures(1346, 'settle', 2)];
    const brk = { baseline: 2.1, allocate: 52.1, unreference: 52.1, collect: 52.1, trim: 2.1, settle: 2.1 };
    const breakdowns = trimPhases.map((p) => part(p.name, 14 + brk[p.name] - 2.1, brk[p.name]));
    const trimmed = computeSummary({ phases: trimPhases, samples: trimSamples, heap, breakdowns, runtime: 'python' })!;
    expect(trimmed.verdict).toBe('released');
    expect(trimmed.accounting!.map((a) => [a.phase, Math.round(a.freeInAllocator / MiB)])).toEqual([['allocate', 0], ['unreference', 50], ['collect', 50], ['trim', 0], ['settle', 0]]);
    expect(trimmed.unexplainedPct).toBeCloseTo(0, 9);
    expect(trimmed.noise).toMatchObject({ jitter: 0, threshold: 6 * MiB });

    const noTrim = trimPhases.filter((p) => p.name !== 'trim');
    const keptBrk = { ...brk, trim: 52.1, settle: 52.1 };
    const kept = computeSummary({
      phases: noTrim, samples: rss([[0, 14], [300, 14], [340, 64], [1346, 64]]), heap: heap.filter((h) => h.phase !== 'trim'),
      breakdowns: noTrim.map((p) => part(p.name, 14 + keptBrk[p.name] - 2.1, keptBrk[p.name])), runtime: 'python',
    })!;
    expect(kept).toMatchObject({ verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', remedies: [{ knobs: { trim: true }, returns: 50 * MiB }] });
    expect(kept.verdictText).toContain('glibc keeps 50.0 MiB of free chunks in its brk heap');
  });
});

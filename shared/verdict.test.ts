// The verdict engine on accountings recorded from real runs here (MiB, rounded): each case gets
// exactly one verdict, and the same leftover gets the same verdict whatever N was.
import { describe, expect, it } from 'vitest';
import type { RunNoise } from './noise.js';
import type { PhaseAccounting } from './run-record.js';
import { MiB } from './units.js';
import { decideVerdict, thresholdsOf, VERDICT_RULES, type VerdictInput } from './verdict.js';
import { describeVerdict } from './verdict-text.js';

const quiet: RunNoise = { jitter: 0, jitterSamples: 250, settleDrift: 0, settleDriftMs: 500 };
const nodeNoise: RunNoise = { jitter: 600 * 1024, jitterSamples: 250, settleDrift: 8 * 1024, settleDriftMs: 500 };

type Parts = Partial<Omit<PhaseAccounting, 'phase' | 'missing'>> & { rss: number };
const settle = (mib: Parts, missing: string[] = []): PhaseAccounting => {
  const bytes = Object.fromEntries(Object.entries(mib).map(([k, v]) => [k, (v as number) * MiB])) as Parts;
  const known = ['live', 'freeInRuntime', 'freeInAllocator', 'rest'] as const;
  const filled = { live: 0, freeInRuntime: 0, freeInAllocator: 0, rest: 0, ...bytes };
  return { phase: 'settle', ...filled, unexplained: filled.rss - known.reduce((s, k) => s + filled[k], 0), missing };
};

const input = (over: Partial<VerdictInput> & Pick<VerdictInput, 'end' | 'grew'>): VerdictInput => ({
  runtime: 'python', kept: over.end?.rss ?? 0, noise: quiet, mallocLibrary: 'glibc', pymalloc: true, trimmed: false, settleMs: 1000, ...over,
  grew: over.grew * MiB,
});

describe('thresholds come from the run\'s own noise', () => {
  it('a quiet CPython run uses the floor; a jittery run four times its jitter', () => {
    expect(thresholdsOf(quiet)).toEqual({ threshold: VERDICT_RULES.releasedFloorBytes, noiseBand: 0.5 * MiB });
    expect(thresholdsOf({ ...quiet, jitter: 2 * MiB })).toEqual({ threshold: 8 * MiB, noiseBand: 8 * MiB });
  });
  it('the same 7 MiB of V8 pages is released under 2 MiB of jitter and retained in a quiet run', () => {
    const end = settle({ rss: 10.6, freeInRuntime: 7, rest: 3.6 });
    expect(decideVerdict(input({ runtime: 'node', end, grew: 400, noise: { ...quiet, jitter: 2 * MiB } })).verdict).toBe('released');
    expect(decideVerdict(input({ runtime: 'node', end, grew: 400 })).verdict).toBe('retained by allocator');
  });
});

describe('decideVerdict', () => {
  it('seed-strings: the same ~4.1 MiB left over is released at N = 10⁶ and at 10⁷ (3.6 MiB of it code pages)', () => {
    // Recorded: 10⁶ grew 11.7 MiB, 10⁷ grew 80.3 MiB; both ended 4.1 MiB up, 3.63 MiB of it file-backed.
    const end = settle({ rss: 4.1, live: 0.35, freeInRuntime: -0.33, freeInAllocator: 0.02, rest: 3.63 });
    for (const grew of [11.7, 80.3]) {
      const d = decideVerdict(input({ runtime: 'node', end, grew, noise: nodeNoise }));
      expect(d.verdict, `grew ${grew}`).toBe('released');
      expect(d.data / MiB).toBeCloseTo(0.47, 6);
    }
  });

  it('the same 20 MiB of freed V8 pages is "retained by allocator" whatever N allocate added', () => {
    const end = settle({ rss: 23.7, freeInRuntime: 20, rest: 3.7 });
    for (const grew of [40, 95, 800]) expect(decideVerdict(input({ runtime: 'node', end, grew, noise: nodeNoise })).mechanism).toBe('v8-pages');
  });

  it('py-seed + jemalloc: 32 MiB of dirty pages, not "still referenced" by a block count', () => {
    // Recorded 10⁷: live −0.38 MiB (sys.getallocatedblocks() rose ~47: noise, and not bytes), dirty 31.86, overhead 2.15.
    const end = settle({ rss: 29.7, live: -0.38, freeInAllocator: 34.0, jemallocDirty: 31.86, jemallocMuzzy: 0, jemallocMetadata: 2.15 });
    const d = decideVerdict(input({ end, grew: 109.7, mallocLibrary: 'jemalloc' }));
    expect(d.verdict).toBe('retained by allocator');
    expect(d.mechanism).toBe('jemalloc-dirty');
    expect(d.shares.map((s) => s.mechanism)).toEqual(['jemalloc-dirty', 'jemalloc-metadata']);
  });

  it('a live share below the noise band decides nothing, even when it is the largest', () => {
    const end = settle({ rss: 6.5, live: 0.4, rest: 0 });
    const d = decideVerdict(input({ end, grew: 50 }));
    expect(d.verdict).toBe('inconclusive');
    expect(d.mechanism).toBe('unexplained');
    expect(d.shares).toEqual([]);
  });

  it('py-fragmentation keeping every 2nd dict: half the growth is still live — still referenced', () => {
    const end = settle({ rss: 249.6, live: 125.9, freeInRuntime: 123.3, freeInAllocator: 0.19, brkHeapFree: 0.19 });
    expect(decideVerdict(input({ end, grew: 251 }))).toMatchObject({ verdict: 'still referenced', mechanism: 'live-objects' });
  });

  it('py-fragmentation keeping every 1000th: pymalloc arenas', () => {
    const end = settle({ rss: 245.7, live: 0.27, freeInRuntime: 244.7, freeInAllocator: 0.19, brkHeapFree: 0.19 });
    expect(decideVerdict(input({ end, grew: 253 }))).toMatchObject({ verdict: 'retained by allocator', mechanism: 'pymalloc-arenas' });
  });

  it('inconclusive when allocate added less than the threshold, or too little of it went back to tell', () => {
    expect(decideVerdict(input({ end: settle({ rss: 0.1 }), grew: 3 }))).toMatchObject({ verdict: 'inconclusive', mechanism: 'too-small' });
    expect(decideVerdict(input({ end: settle({ rss: 5, freeInAllocator: 5, brkHeapFree: 5 }), grew: 7 }))).toMatchObject({ verdict: 'inconclusive', mechanism: 'too-small' });
  });

  it('inconclusive while RSS is still falling at the end of settle', () => {
    const end = settle({ rss: 23.7, freeInAllocator: 25.5, jemallocDirty: 25.5 });
    const falling = { ...quiet, settleDrift: -6.2 * MiB, settleDriftMs: 6000 };
    expect(decideVerdict(input({ end, grew: 110, noise: falling, mallocLibrary: 'jemalloc' }))).toMatchObject({ verdict: 'inconclusive', mechanism: 'still-falling' });
  });

  it('inconclusive when the figures do not explain what RSS kept (no koffi: no allocator figures)', () => {
    const end = settle({ rss: 414, freeInRuntime: 1.9, rest: 3.8 }, ['allocator']);
    const d = decideVerdict(input({ runtime: 'node', end, grew: 431, noise: nodeNoise, missing: ['allocator'] }));
    expect(d).toMatchObject({ verdict: 'inconclusive', mechanism: 'unexplained' });
    expect(describeVerdict(d, input({ runtime: 'node', end, grew: 431, missing: ['allocator'] }), {}).verdictText).toContain('is koffi installed?');
  });
});

describe('describeVerdict', () => {
  it('names jemalloc\'s decay in force and what returns the pages, with the bytes', () => {
    const end = settle({ rss: 29.7, live: -0.38, freeInAllocator: 34.0, jemallocDirty: 31.86, jemallocMetadata: 2.15 });
    const i = input({ end, grew: 109.7, mallocLibrary: 'jemalloc', jemalloc: { dirtyDecayMs: 10_000, muzzyDecayMs: 0, backgroundThread: false } });
    const words = describeVerdict(decideVerdict(i), i, { n: 10_000_000 });
    expect(words.verdictText).toMatch(/^retained by allocator: RSS ended 29\.7 MiB above baseline; 29\.7 MiB of it is the run's data\. jemalloc keeps 31\.9 MiB of dirty pages/);
    expect(words.verdictText).toContain('dirty_decay_ms is 10000 ms');
    expect(words.verdictText).toContain('background thread, which is off here');
    expect(words.remedies.map((r) => [r.knobs, r.settleMs, r.returns && Math.round(r.returns / MiB)])).toEqual([
      [{ jemallocDirtyDecayMs: 0 }, undefined, 32],
      [{ jemallocBackgroundThread: true }, 31_000, 32],
      [{ trim: true }, undefined, 32],
    ]);
  });

  it('glibc brk heap: the trim knob, unless the run already trimmed', () => {
    const end = settle({ rss: 201.4, freeInAllocator: 201.4, brkHeapFree: 201.4 });
    const untrimmed = input({ end, grew: 202.5 });
    const words = describeVerdict(decideVerdict(untrimmed), untrimmed, {});
    expect(words.verdictText).toContain('glibc keeps 201.4 MiB of free chunks in its brk heap ([heap])');
    expect(words.remedies).toEqual([{ text: expect.stringContaining('malloc_trim(0)'), knobs: { trim: true }, returns: 201.4 * MiB }]);
    const trimmed = input({ end, grew: 202.5, trimmed: true });
    expect(describeVerdict(decideVerdict(trimmed), trimmed, {}).remedies).toEqual([]);
  });

  it('too small: suggests an N large enough to clear the threshold', () => {
    const i = input({ end: settle({ rss: 0.1 }), grew: 3 });
    expect(describeVerdict(decideVerdict(i), i, { n: 1000 }).remedies).toEqual([{ text: 'Run with N = 8000 (×8).', params: { n: 8000 } }]);
  });

  it('released says how much was code and file pages, and the threshold with its jitter', () => {
    const end = settle({ rss: 4.1, live: 0.35, freeInRuntime: -0.33, freeInAllocator: 0.02, rest: 3.63 });
    const i = input({ runtime: 'node', end, grew: 80.3, noise: nodeNoise });
    expect(describeVerdict(decideVerdict(i), i, {}).verdictText).toBe(
      'released: RSS ended 4.1 MiB above baseline (3.6 MiB of it code and file pages the run faulted in); its data kept 0.5 MiB of the 80.3 MiB ' +
      'allocate added, within the threshold 6.0 MiB: the larger of 6.0 MiB and 4 × this run\'s baseline jitter of 600 KiB.');
  });
});

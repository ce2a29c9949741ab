// The split of RSS above baseline, on figures recorded from real workers on this machine.
import { describe, expect, it } from 'vitest';
import { accountPhaseEnds, worstUnexplainedFraction, type PhaseEndFigures } from './accounting.js';
import type { HeapFigures, MemoryBreakdown, PhaseName } from './run-record.js';
import { MiB } from './units.js';

const breakdown = (phase: PhaseName, mib: { rss: number; brk: number; anon: number; file?: number; arenas?: number }): MemoryBreakdown => ({
  t: 0, phase, rss: mib.rss * MiB, pss: 0, anonymous: 0, privateDirty: 0, swap: 0,
  brkHeap: mib.brk * MiB, anonMappings: mib.anon * MiB, fileMappings: (mib.file ?? 10) * MiB, otherMappings: 0.2 * MiB,
  ...(mib.arenas !== undefined && { arenaHeaps: mib.arenas * MiB }),
});
const glibc = (inUse: number, mmapped: number, free: number, main?: { inUse: number; free: number }): HeapFigures['glibc'] => ({
  inUse: inUse * MiB, mmapped: mmapped * MiB, free: free * MiB,
  ...(main ? { mainArenaInUse: main.inUse * MiB, mainArenaFree: main.free * MiB } : { mainArenaInUse: inUse * MiB, mainArenaFree: free * MiB }),
});
const pymalloc = (allocated: number, free: number) => ({ allocated: allocated * MiB, free: free * MiB, arenas: 5 * MiB });
const mib = (n: number | undefined) => (n === undefined ? undefined : Math.round((n / MiB) * 100) / 100);

describe('accountPhaseEnds', () => {
  it('py-medium-bytes + trim: the freed bytes sit in the brk heap until malloc_trim(0), then nothing is left', () => {
    // Recorded: 2·10⁴ × bytes(1000), keep the last; baseline 14.7 MiB. brk heap: 2.4 → 22.9 MiB after allocate.
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { pymalloc: pymalloc(3.67, 1.3), glibc: glibc(2.27, 0.58, 0.1) }, breakdown: breakdown('baseline', { rss: 14.7, brk: 2.4, anon: 2.1 }) },
      { phase: 'allocate', heap: { pymalloc: pymalloc(3.67, 1.3), glibc: glibc(22.41, 0.75, 0.08) }, breakdown: breakdown('allocate', { rss: 35.0, brk: 22.5, anon: 2.3 }) },
      { phase: 'collect', heap: { pymalloc: pymalloc(3.67, 1.3), glibc: glibc(2.27, 0.58, 20.2) }, breakdown: breakdown('collect', { rss: 34.85, brk: 22.5, anon: 2.15 }) },
      { phase: 'trim', heap: { pymalloc: pymalloc(3.67, 1.3), glibc: glibc(2.27, 0.58, 20.2) }, breakdown: breakdown('trim', { rss: 14.7, brk: 2.35, anon: 2.15 }) },
    ];
    const [allocate, collect, trim] = accountPhaseEnds(ends);
    expect(allocate).toMatchObject({ phase: 'allocate', missing: [] });
    expect([allocate!.rss, allocate!.live, allocate!.freeInRuntime, allocate!.freeInAllocator, allocate!.rest, allocate!.unexplained].map(mib))
      .toEqual([20.3, 20.31, 0, -0.04, 0, 0.03]);
    // Collect: nothing live, 20.1 MiB of free chunks kept in the brk heap (its Rss less what the main arena hands out).
    expect([collect!.live, collect!.brkHeapFree, collect!.threadArenasFree, collect!.unexplained].map(mib)).toEqual([0, 20.1, 0, 0.05]);
    // After malloc_trim(0) fordblks still says 20.2 MiB free, but those pages are gone: the brk heap's Rss says so.
    expect([trim!.rss, trim!.freeInAllocator].map(mib)).toEqual([0, -0.05]);
  });

  it('Node small-buffers: backing stores in the C heap, V8 pages apart, free bytes in thread arenas apart from the brk heap', () => {
    const v8 = (used: number, physical: number) => ({ used: used * MiB, physical: physical * MiB });
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { v8: v8(3, 4), glibc: glibc(6, 1, 2, { inUse: 4, free: 0.5 }) }, breakdown: breakdown('baseline', { rss: 46, brk: 5, anon: 25, file: 15 }) },
      { phase: 'settle', heap: { v8: v8(3.4, 6), glibc: glibc(6.2, 1, 410, { inUse: 4.1, free: 407.6 }) }, breakdown: breakdown('settle', { rss: 460.8, brk: 412, anon: 28.3, file: 18.8 }) },
    ];
    const [settle] = accountPhaseEnds(ends);
    expect([settle!.rss, settle!.live, settle!.freeInRuntime, settle!.brkHeapFree, settle!.threadArenasFree, settle!.rest, settle!.unexplained].map(mib))
      .toEqual([414.8, 0.6, 1.6, 406.9, 0.9, 3.8, 1]);
  });

  it('jemalloc: dirty and muzzy pages, and its own overhead as far as it is resident, are the allocator\'s share', () => {
    const je = (allocated: number, dirty: number, metadata: number) => ({
      allocated: allocated * MiB, active: (allocated + 0.3) * MiB, metadata: metadata * MiB, resident: 0, retained: 0,
      dirty: dirty * MiB, muzzy: 0, dirtyDecayMs: 10_000, muzzyDecayMs: 0, backgroundThread: false,
    });
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { pymalloc: pymalloc(3.5, 1.4), jemalloc: je(2.76, 0.7, 2.58) }, breakdown: breakdown('baseline', { rss: 17.1, brk: 0, anon: 7 }) },
      { phase: 'settle', heap: { pymalloc: pymalloc(3.5, 1.4), jemalloc: je(2.4, 32.6, 4.67) }, breakdown: breakdown('settle', { rss: 46.9, brk: 0, anon: 36.8 }) },
    ];
    const [settle] = accountPhaseEnds(ends);
    // Metadata grew 2.09 MiB, but the mappings did not have room for it next to the dirty pages: a
    // block mapped and not yet touched. It is said (notResident), not counted.
    expect([settle!.live, settle!.jemallocDirty, settle!.jemallocMuzzy, settle!.jemallocPinned, settle!.jemallocMetadata, settle!.notResident, settle!.freeInAllocator, settle!.unexplained].map(mib))
      .toEqual([-0.36, 31.9, 0, 0, 0, 2.09, 31.9, -1.74]);
    expect(settle!.brkHeapFree).toBeUndefined();
  });

  it('bytes handed out but never written (a list\'s spare capacity) are left out of live, and said', () => {
    // py-seed 10⁷: the list's block is 85 MiB (hblkhd) but RSS grew 76.5 MiB: its last 1.1·10⁶ slots were never touched.
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { pymalloc: pymalloc(3.54, 1.4), glibc: glibc(1.75, 0.58, 0.6) }, breakdown: breakdown('baseline', { rss: 14.5, brk: 2.2, anon: 2.5 }) },
      { phase: 'allocate', heap: { pymalloc: pymalloc(3.54, 1.4), glibc: glibc(1.75, 85.55, 0.6) }, breakdown: breakdown('allocate', { rss: 91, brk: 2.2, anon: 79 }) },
    ];
    const [allocate] = accountPhaseEnds(ends);
    expect([allocate!.rss, allocate!.live, allocate!.notResident, allocate!.unexplained].map(mib)).toEqual([76.5, 76.5, 8.47, 0]);
  });

  it('free pages malloc_trim(0) handed back inside thread arenas are not resident, though glibc still counts them free', () => {
    const v8 = (used: number, physical: number) => ({ used: used * MiB, physical: physical * MiB });
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { v8: v8(3, 4), glibc: glibc(6, 1, 2, { inUse: 4, free: 0.5 }) }, breakdown: breakdown('baseline', { rss: 46, brk: 5, anon: 25, file: 15 }) },
      // collect: 12 MiB free in thread arenas, resident; trim: madvised away, still 12 MiB in fordblks.
      { phase: 'collect', heap: { v8: v8(3, 34), glibc: glibc(6, 1, 14, { inUse: 4, free: 0.5 }) }, breakdown: breakdown('collect', { rss: 88, brk: 5, anon: 67, file: 15 }) },
      { phase: 'trim', heap: { v8: v8(3, 34), glibc: glibc(6, 1, 14, { inUse: 4, free: 0.5 }) }, breakdown: breakdown('trim', { rss: 76, brk: 5, anon: 55, file: 15 }) },
    ];
    const [collect, trim] = accountPhaseEnds(ends);
    expect([collect!.freeInRuntime, collect!.threadArenasFree, collect!.notResident, collect!.unexplained].map(mib)).toEqual([30, 12, undefined, 0]);
    expect([trim!.freeInRuntime, trim!.threadArenasFree, trim!.notResident, trim!.unexplained].map(mib)).toEqual([30, 0, 12, 0]);
  });

  it('py-thread-arenas + trim: free bytes in the arena heaps smaps found, until malloc_trim(0) madvises them away', () => {
    // Recorded: 3 threads × 12 000 × bytes(1000), each keeping its last. glibc's fordblks still counts the 36.4 MiB after trim.
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { pymalloc: pymalloc(3.69, 1.23), glibc: glibc(2.29, 0.84, 0.33, { inUse: 2.3, free: 0.32 }) }, breakdown: breakdown('baseline', { rss: 15.23, brk: 2.6, anon: 4.43, arenas: 0, file: 8.14 }) },
      { phase: 'collect', heap: { pymalloc: pymalloc(3.7, 1.23), glibc: glibc(2.3, 0.84, 36.86, { inUse: 2.3, free: 0.32 }) }, breakdown: breakdown('collect', { rss: 51.86, brk: 2.6, anon: 4.46, arenas: 36.54, file: 8.2 }) },
      { phase: 'trim', heap: { pymalloc: pymalloc(3.7, 1.22), glibc: glibc(2.3, 0.84, 36.77, { inUse: 2.3, free: 0.23 }) }, breakdown: breakdown('trim', { rss: 15.09, brk: 2.34, anon: 4.46, arenas: 0.02, file: 8.2 }) },
    ];
    const [collect, trim] = accountPhaseEnds(ends);
    expect([collect!.rss, collect!.threadArenasFree, collect!.brkHeapFree, collect!.notResident, collect!.unexplained].map(mib)).toEqual([36.63, 36.53, 0, undefined, 0.02]);
    expect([trim!.rss, trim!.threadArenasFree, trim!.brkHeapFree, trim!.notResident, trim!.unexplained].map(mib)).toEqual([-0.14, 0.01, -0.26, undefined, 0.04]);
  });

  it('says which figures were missing, and leaves their share unexplained', () => {
    const ends: PhaseEndFigures[] = [
      { phase: 'baseline', heap: { heapUsed: 3 * MiB, v8: { used: 3 * MiB, physical: 4 * MiB } }, breakdown: breakdown('baseline', { rss: 40, brk: 2, anon: 20 }) },
      { phase: 'settle', heap: { heapUsed: 3 * MiB, v8: { used: 3 * MiB, physical: 4 * MiB } }, breakdown: breakdown('settle', { rss: 440, brk: 402, anon: 20 }) },
    ];
    const [settle] = accountPhaseEnds(ends);
    expect(settle!.missing).toEqual(['allocator']);
    expect(mib(settle!.unexplained)).toBe(400);
    expect(accountPhaseEnds([{ phase: 'baseline' }, ends[1]!])).toEqual([]);
  });
});

describe('worstUnexplainedFraction', () => {
  it('is the largest |unexplained| over the phase ends, as a fraction of what allocate added', () => {
    const at = (phase: PhaseName, rss: number, unexplained: number) => ({ phase, rss, unexplained, live: 0, freeInRuntime: 0, freeInAllocator: 0, rest: 0, missing: [] });
    expect(worstUnexplainedFraction([at('allocate', 100, 2), at('collect', 50, -8), at('settle', 50, 1)])).toBe(0.08);
    expect(worstUnexplainedFraction([at('allocate', 0, 2)])).toBe(0);
  });
});

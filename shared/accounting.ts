// Accounts for every MiB of RSS above baseline at each phase end: live in the runtime, free inside
// the runtime, free inside the C allocator, the rest (code, files, stacks), and what nothing explains.
// Inputs: the worker's own figures at the phase end (HeapFigures) and the server's smaps read at the
// same instant (MemoryBreakdown), while the worker stood still.
import type { HeapFigures, HeapSample, MemoryBreakdown, Phase, PhaseAccounting, PhaseName } from './run-record.js';

/** The worker's report at a phase's end edge (same t), with the breakdown read then. */
export interface PhaseEndFigures {
  phase: PhaseName;
  heap?: HeapFigures;
  breakdown?: MemoryBreakdown;
}

export function phaseEndFigures(phases: readonly Phase[], heap: readonly HeapSample[], breakdowns: readonly MemoryBreakdown[]): PhaseEndFigures[] {
  return phases.filter((p) => p.end !== undefined).map((p) => ({
    phase: p.name,
    heap: heap.find((h) => h.phase === p.name && h.t === p.end),
    breakdown: breakdowns.find((b) => b.phase === p.name),
  }));
}

interface Levels {
  rss: number;
  /** RSS of the mappings the runtime and the C allocator use: the brk heap and anonymous mmaps. */
  heapMappings: number;
  runtimeLive: number;
  runtimeFree: number;
  allocatorLive: number;
  brkHeapFree?: number;
  threadArenasFree?: number;
  jemallocDirty?: number;
  jemallocMuzzy?: number;
  jemallocPinned?: number;
  jemallocMetadata?: number;
  rest: number;
  missing: string[];
}

/** Absolute levels at one instant; the accounting is their change since baseline. */
function levels(heap: HeapFigures | undefined, breakdown: MemoryBreakdown): Levels {
  const out: Levels = {
    rss: breakdown.rss, heapMappings: breakdown.brkHeap + breakdown.anonMappings + (breakdown.arenaHeaps ?? 0),
    runtimeLive: 0, runtimeFree: 0, allocatorLive: 0,
    rest: breakdown.fileMappings + breakdown.otherMappings, missing: [],
  };
  if (heap?.v8) {
    out.runtimeLive = heap.v8.used;
    out.runtimeFree = heap.v8.physical - heap.v8.used;
  } else if (heap?.pymalloc) {
    // pymalloc maps its arenas itself (Objects/obmalloc.c _PyObject_ArenaMmap): none of this is in malloc's counts.
    out.runtimeLive = heap.pymalloc.allocated;
    out.runtimeFree = heap.pymalloc.free;
  } else if (heap?.heapUsed !== undefined) {
    out.missing.push('runtime');
  }
  if (heap?.glibc) {
    const g = heap.glibc;
    out.allocatorLive = g.inUse + g.mmapped;
    // The brk heap's resident pages minus what the main arena hands out: free chunks glibc keeps in
    // RAM. Unlike fordblks this falls when malloc_trim(0) madvises free pages away.
    out.brkHeapFree = breakdown.brkHeap - (g.mainArenaInUse ?? g.inUse);
    // Per-thread arenas (malloc/arena.c) are their own mmap'd heaps: their free bytes, an upper bound,
    // cut to what those heaps hold resident beside their in-use bytes where smaps told them apart
    // (malloc_trim(0) madvises their free pages away while glibc still counts them free).
    const threadFree = g.mainArenaFree === undefined ? 0 : g.free - g.mainArenaFree;
    const threadResident = breakdown.arenaHeaps === undefined || g.mainArenaInUse === undefined ? threadFree
      : breakdown.arenaHeaps - (g.inUse - g.mainArenaInUse);
    out.threadArenasFree = Math.max(0, Math.min(threadFree, threadResident));
  } else if (heap?.jemalloc) {
    const j = heap.jemalloc;
    out.allocatorLive = j.allocated;
    out.jemallocDirty = j.dirty;
    out.jemallocMuzzy = j.muzzy;
    // Free regions of pages that still hold a live allocation (slabs pinned by survivors), and
    // jemalloc's own bookkeeping (it grows in 2 MiB steps).
    out.jemallocPinned = j.active - j.allocated;
    out.jemallocMetadata = j.metadata;
  } else {
    out.missing.push('allocator');
  }
  return out;
}

const ALLOCATOR_PARTS = ['brkHeapFree', 'threadArenasFree', 'jemallocDirty', 'jemallocMuzzy', 'jemallocPinned', 'jemallocMetadata'] as const;
type AllocatorPart = (typeof ALLOCATOR_PARTS)[number];

/**
 * The allocator's counts are upper bounds of what is resident: bytes handed out that nobody wrote
 * (a list's spare capacity, the tail of a size class, a jemalloc metadata block: its radix-tree
 * leaves are mapped zeroed and touched as used), or free pages malloc_trim(0) handed back with
 * madvise while the arena still counts them free. Where the heap mappings ([heap] and anonymous)
 * did not grow enough to hold them, the excess is not resident: taken from these claims, in order.
 */
const UNSURE: readonly (AllocatorPart | 'live')[] = ['jemallocMetadata', 'threadArenasFree', 'live'];

/**
 * The split at every phase end after baseline, as changes since the end of baseline. Empty when
 * baseline's breakdown is missing (no /proc); a phase end without a breakdown is left out.
 */
export function accountPhaseEnds(ends: readonly PhaseEndFigures[]): PhaseAccounting[] {
  const baseEnd = ends.find((e) => e.phase === 'baseline');
  if (!baseEnd?.breakdown) return [];
  const base = levels(baseEnd.heap, baseEnd.breakdown);
  return ends.filter((e) => e.phase !== 'baseline' && e.breakdown).map((e) => {
    const now = levels(e.heap, e.breakdown!);
    const missing = [...new Set([...base.missing, ...now.missing])];
    const parts: Partial<Record<AllocatorPart, number>> = {};
    for (const key of ALLOCATOR_PARTS) {
      if (now[key] !== undefined && base[key] !== undefined) parts[key] = now[key] - base[key];
    }
    const runtimeLive = now.runtimeLive - base.runtimeLive;
    const freeInRuntime = now.runtimeFree - base.runtimeFree;
    const claims: Record<'live', number> & Partial<Record<AllocatorPart, number>> = { ...parts, live: now.allocatorLive - base.allocatorLive };
    const sure = Object.entries(claims).filter(([k]) => !UNSURE.includes(k as AllocatorPart)).reduce((sum, [, v]) => sum + v, 0);
    const room = Math.max(0, now.heapMappings - base.heapMappings - runtimeLive - freeInRuntime - sure);
    let notResident = missing.length === 0 ? Math.max(0, UNSURE.reduce((sum, k) => sum + Math.max(0, claims[k] ?? 0), 0) - room) : 0;
    const total = notResident;
    for (const key of UNSURE) {
      const cut = Math.min(notResident, Math.max(0, claims[key] ?? 0));
      if (key !== 'live' && parts[key] !== undefined) parts[key] -= cut;
      else if (key === 'live') claims.live -= cut;
      notResident -= cut;
    }
    const freeInAllocator = Object.values(parts).reduce((a, b) => a + b, 0);
    const rss = now.rss - base.rss;
    const live = runtimeLive + claims.live;
    const rest = now.rest - base.rest;
    return {
      phase: e.phase, rss, live, ...(total > 0 && { notResident: total }), freeInRuntime, freeInAllocator, ...parts,
      rest, unexplained: rss - live - freeInRuntime - freeInAllocator - rest, missing,
    };
  });
}

/**
 * The largest unexplained remainder over the phase ends, as a fraction of what allocate added (0 when
 * it added nothing): by its end, or `grew` when given (its height, for a churn that freed most of it).
 */
export function worstUnexplainedFraction(accounting: readonly PhaseAccounting[], grew = accounting.find((a) => a.phase === 'allocate')?.rss ?? 0): number {
  if (grew <= 0) return 0;
  return Math.max(0, ...accounting.map((a) => Math.abs(a.unexplained) / grew));
}

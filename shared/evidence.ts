// The evidence behind a verdict, as the summary records it: where RSS above baseline is at each
// phase end (accounting.ts), the run's own noise and thresholds (noise.ts, verdict.ts), and what
// would return the kept memory (verdict-text.ts).
import { z } from 'zod';
import { Knobs } from './knobs.js';
import { ALL_PHASES } from './phases.js';

/**
 * Where RSS above baseline is at one phase end, in bytes (each a change since the end of baseline;
 * shared/accounting.ts computes it). live + freeInRuntime + freeInAllocator + rest + unexplained = rss.
 */
export const PhaseAccounting = z.object({
  phase: z.enum(ALL_PHASES),
  /** Change in RSS (smaps_rollup, read while the worker stood still). */
  rss: z.number(),
  /** Objects the program can still reach: V8's used bytes or pymalloc's allocated blocks, plus the C allocator's in-use bytes. */
  live: z.number(),
  /**
   * Counted by the C allocator but not in RSS, so left out of live and of the allocator's share:
   * never written (a list's spare capacity, a size class's tail, a jemalloc metadata block), or
   * free pages malloc_trim(0) handed back inside a thread arena, which it still counts as free.
   */
  notResident: z.number().optional(),
  /** Freed, but kept by the runtime: V8 pages it keeps (physical − used), pymalloc's free blocks and pools. */
  freeInRuntime: z.number(),
  /** Freed, but kept by the C allocator: free chunks in glibc's brk heap and thread arenas, jemalloc's dirty and muzzy pages. */
  freeInAllocator: z.number(),
  /** The part of freeInAllocator in glibc's brk heap ([heap] Rss minus the main arena's in-use bytes). */
  brkHeapFree: z.number().optional(),
  /** The part of freeInAllocator in glibc's per-thread arenas. */
  threadArenasFree: z.number().optional(),
  /** jemalloc: dirty and muzzy pages (freed, not yet purged). */
  jemallocDirty: z.number().optional(),
  jemallocMuzzy: z.number().optional(),
  /** jemalloc: free regions of pages that still hold a live allocation (active − allocated). */
  jemallocPinned: z.number().optional(),
  /** jemalloc: its own bookkeeping (stats.metadata), as far as it is resident. */
  jemallocMetadata: z.number().optional(),
  /** Code and file pages, stacks: not the experiment's data. */
  rest: z.number(),
  /** What no figure explains. */
  unexplained: z.number(),
  /** Figures the worker could not give (e.g. "allocator" without koffi): their share lands in unexplained. */
  missing: z.array(z.string()).default([]),
});
export type PhaseAccounting = z.infer<typeof PhaseAccounting>;


/** Something to try that should return kept memory, as the changes to a run request that would. */
export const Remedy = z.object({
  text: z.string(),
  knobs: Knobs.optional(),
  settleMs: z.number().int().positive().optional(),
  params: z.record(z.string(), z.number()).optional(),
  /** Roughly how many bytes it should give back, when that can be said. */
  returns: z.number().nonnegative().optional(),
});
export type Remedy = z.infer<typeof Remedy>;

/** The run's own noise and the thresholds the verdict used (bytes). */
export const VerdictNoise = z.object({
  /** max − min of RSS over baseline's idle samples, and how many samples. */
  jitter: z.number().nonnegative(),
  jitterSamples: z.number().int().nonnegative(),
  /** RSS change over the last half of settle (negative: still falling). */
  settleDrift: z.number(),
  settleDriftMs: z.number().nonnegative(),
  /** The noise band: a share smaller than this decides nothing. */
  noiseBand: z.number().nonnegative(),
  /** Data above baseline up to this counts as released. */
  threshold: z.number().nonnegative(),
});
export type VerdictNoise = z.infer<typeof VerdictNoise>;


// The pieces both kinds of record are built from — a run's (run-record.ts) and a watch's
// (watch-record.ts) — in a module of their own, so the two can share them without importing each other.
import { z } from 'zod';

/** A wall-clock time in ms shared by server and worker (performance.timeOrigin + performance.now()). */
export const Time = z.number().finite().nonnegative();

/** Bytes, or a count. */
export const Count = z.number().int().nonnegative();

/** Node's process.memoryUsage() (bytes): what a worker reports and what the inspector probe of a
 * watch asks for; run-record.ts HeapFigures extends it with everything else a runtime reports. */
export const ProcessMemoryUsage = z.object({
  rss: z.number().nonnegative().optional(),
  heapTotal: z.number().nonnegative().optional(),
  heapUsed: z.number().nonnegative().optional(),
  external: z.number().nonnegative().optional(),
  arrayBuffers: z.number().nonnegative().optional(),
});
export type ProcessMemoryUsage = z.infer<typeof ProcessMemoryUsage>;

/**
 * Where a process's memory is (bytes): totals from /proc/PID/smaps_rollup, and the Rss of
 * /proc/PID/smaps summed per kind of mapping. brkHeap is glibc's main heap ([heap], shrunk only
 * from its top or by malloc_trim); anonMappings are mmap'd regions: pymalloc arenas, V8 pages, big
 * malloc blocks, other malloc arenas, jemalloc extents; otherMappings stacks, vdso and the rest.
 * A run reads it at phase ends (MemoryBreakdown), a watch at its own rate with more kinds (WatchBreakdown).
 */
export const SmapsFigures = z.object({
  rss: Count,
  pss: Count,
  anonymous: Count,
  privateDirty: Count,
  swap: Count,
  brkHeap: Count,
  anonMappings: Count,
  fileMappings: Count,
  otherMappings: Count,
});
export type SmapsFigures = z.infer<typeof SmapsFigures>;

/** Where freed memory went, in the same words for runs and watches. `inconclusive`: the signals
 * were too small for the record's own noise, or disagreed. */
export const VERDICTS = ['released', 'retained by allocator', 'still referenced', 'inconclusive'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

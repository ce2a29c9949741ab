// The byte counts a worker reports at each phase end from its runtime and its C allocator (see
// shared/accounting.ts for how they add up). Strict: a worker that misnames a field fails its run
// instead of having the field dropped.
import { z } from 'zod';

const Bytes = z.number().nonnegative();

/** V8's heap spaces summed (v8.getHeapSpaceStatistics()). */
export const V8Figures = z.strictObject({
  /** space_used_size: bytes in objects not yet freed. */
  used: Bytes,
  /** physical_space_size: pages V8 has committed and touched; physical − used is free inside V8. */
  physical: Bytes,
  /** The young generation's pages (new_space physical_space_size): it grows during allocation bursts. */
  newSpacePhysical: Bytes.optional(),
});
export type V8Figures = z.infer<typeof V8Figures>;

/** pymalloc's byte lines of sys._debugmallocstats() (CPython Objects/obmalloc.c, _PyObject_DebugMallocStats). */
export const PymallocFigures = z.strictObject({
  /** "# bytes in allocated blocks": live objects ≤ 512 bytes. */
  allocated: Bytes,
  /** Available blocks + unused pools + pool headers + quantization: touched pages pymalloc keeps free. */
  free: Bytes,
  /** Arenas mapped × bytes per arena. */
  arenas: Bytes,
});
export type PymallocFigures = z.infer<typeof PymallocFigures>;

/** glibc malloc's own counts: mallinfo2() over every arena; malloc_info() for the main (brk) arena. */
export const GlibcFigures = z.strictObject({
  /** uordblks: bytes in chunks handed out, not counting mmapped ones. */
  inUse: Bytes,
  /** hblkhd: bytes in chunks that got their own mmap (≥ M_MMAP_THRESHOLD). */
  mmapped: Bytes,
  /** fordblks: free bytes kept in every arena (resident or not). */
  free: Bytes,
  /** The main arena, which lives in the brk heap ([heap]); the rest are per-thread arenas. */
  mainArenaInUse: Bytes.optional(),
  mainArenaFree: Bytes.optional(),
});
export type GlibcFigures = z.infer<typeof GlibcFigures>;

/** jemalloc's mallctl stats after an "epoch" refresh, and the decay settings in force. */
export const JemallocFigures = z.strictObject({
  /** stats.allocated: bytes in live allocations. */
  allocated: Bytes,
  /** stats.active: bytes in pages holding live allocations (≥ allocated). */
  active: Bytes,
  /** stats.metadata: jemalloc's own bookkeeping. */
  metadata: Bytes,
  /** stats.resident: pages jemalloc has touched and not purged (an upper bound). */
  resident: Bytes,
  /** stats.retained: address space kept but purged (not in RSS). */
  retained: Bytes,
  /** stats.arenas.<all>.pdirty / pmuzzy × page size: freed pages waiting for their decay. */
  dirty: Bytes,
  muzzy: Bytes,
  /** opt.dirty_decay_ms / opt.muzzy_decay_ms (-1 = never) and whether the background thread runs. */
  dirtyDecayMs: z.number().int(),
  muzzyDecayMs: z.number().int(),
  backgroundThread: z.boolean(),
});
export type JemallocFigures = z.infer<typeof JemallocFigures>;


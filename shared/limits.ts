// Bounds a run's settings must stay within; the server, the CLI and the client's fields read them here.

/** A run's external RSS sampling rate (samples per second). */
export const SAMPLE_HZ_MIN = 1;
export const SAMPLE_HZ_MAX = 1000;

/** A worker's memory cap (MiB); the server lowers the top to what the machine (or its cgroup) allows. */
export const MEMORY_CAP_MIB = { min: 64, default: 2048 } as const;

/** How long a run idles after collect (or trim) so lazy releases can be seen: V8's memory reducer,
 * jemalloc's decay (10 s by default). */
export const SETTLE_MS = { min: 200, max: 60_000, default: 1000 } as const;

/** A worker's wall-clock cap (s) unless MEMTIDE_WALL_CLOCK_S says otherwise. */
export const DEFAULT_WALL_CLOCK_S = 120;

/** Bounds of a watch of a running process (server/watch/). */
export const WATCH_LIMITS = {
  /** A watch ends once it holds this many RSS samples (10 min at 1 kHz, ~17 h at 10 Hz): they are
   * kept in memory and stored, and 600 000 make a ~20 MB record. */
  maxSamples: 600_000,
  /** The longest `durationS` a watch may ask for (it still ends at maxSamples). */
  maxDurationS: 24 * 3600,
  /** Watches at once: each has a 1 kHz sampler (a native process, else a thread) and a smaps reader thread. */
  maxWatches: 4,
  markerLabelMax: 120,
  maxMarkers: 1000,
  maxProbes: 100,
  /** A gdb or inspector probe is aborted after this long (see server/watch/gdb-probe.ts). */
  probeTimeoutMs: 10_000,
  /** RSS and the breakdown are read again this long after a probe: V8 returns pages 20-100 ms
   * after a GC, and a trim's madvise is done at once, so 1 s shows what the probe gave back. */
  probeSettleMs: 1000,
} as const;

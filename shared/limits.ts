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

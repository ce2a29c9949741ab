// Kept free of imports so a worker can use it without loading zod (~14 MiB of baseline RSS).

/** Every variable an allocator knob can set: removed from the server's own environment before a worker starts. */
export const KNOB_ENV_NAMES = [
  'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'PYTHONMALLOC', 'LD_PRELOAD', 'MALLOC_CONF',
] as const;

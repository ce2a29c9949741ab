// The environment variables allocator knobs become. Kept free of imports so a worker can use it
// without loading zod (~14 MiB of baseline RSS); server/workers/python-worker.py repeats the list
// and shared/worker-agreement.test.ts checks the two agree.

export const KNOB_ENV = {
  /** glibc: shrink the brk heap when this much is free at its top (malloc/malloc.c, M_TRIM_THRESHOLD). */
  trimThreshold: 'MALLOC_TRIM_THRESHOLD_',
  /** glibc: requests at least this big get their own mmap (M_MMAP_THRESHOLD). */
  mmapThreshold: 'MALLOC_MMAP_THRESHOLD_',
  /** glibc: how many arenas threads spread over (M_ARENA_MAX). */
  arenaMax: 'MALLOC_ARENA_MAX',
  /** CPython's object allocator: pymalloc, or malloc for every object. */
  pythonMalloc: 'PYTHONMALLOC',
  /** jemalloc in glibc malloc's place. */
  preload: 'LD_PRELOAD',
  /** jemalloc's options (dirty_decay_ms:…,muzzy_decay_ms:…). */
  jemallocConf: 'MALLOC_CONF',
} as const;

export type KnobEnvName = (typeof KNOB_ENV)[keyof typeof KNOB_ENV];

/** Every variable an allocator knob can set: removed from the server's own environment before a worker starts. */
export const KNOB_ENV_NAMES: readonly KnobEnvName[] = Object.values(KNOB_ENV);

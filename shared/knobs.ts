// Allocator knobs: what a run may change about how its worker allocates, which runtime each applies
// to, and the environment they become. Checked by the server; shown by the client.
import { z } from 'zod';
import type { Runtime } from './schemas.js';

export const ALLOCATORS = ['glibc', 'jemalloc'] as const;
export const PYTHON_MALLOCS = ['pymalloc', 'malloc'] as const;

/** glibc caps M_MMAP_THRESHOLD at HEAP_MAX_SIZE / 2: 32 MiB on 64-bit (malloc/malloc.c). */
export const MMAP_THRESHOLD_MAX = 32 * 1024 * 1024;
const int = (name: string, min: number, max: number) =>
  z.number({ error: `must be an integer from ${min} to ${max}` }).int(`must be an integer from ${min} to ${max}`)
    .min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`).describe(name);

/** The `knobs` object of POST /api/runs. Unknown knobs are errors. */
export const Knobs = z.strictObject({
  /** An extra phase after collect: malloc_trim(0). */
  trim: z.boolean({ error: 'must be true or false' }).optional(),
  allocator: z.enum(ALLOCATORS, { error: `must be one of ${ALLOCATORS.join(', ')}` }).optional(),
  pythonMalloc: z.enum(PYTHON_MALLOCS, { error: `must be one of ${PYTHON_MALLOCS.join(', ')}` }).optional(),
  mallocTrimThreshold: int('MALLOC_TRIM_THRESHOLD_', 0, 2 ** 40).optional(),
  mallocMmapThreshold: int('MALLOC_MMAP_THRESHOLD_', 0, MMAP_THRESHOLD_MAX).optional(),
  mallocArenaMax: int('MALLOC_ARENA_MAX', 1, 1024).optional(),
  /** jemalloc's MALLOC_CONF dirty_decay_ms / muzzy_decay_ms: 0 returns freed pages at once, -1 never. */
  jemallocDirtyDecayMs: int('dirty_decay_ms', -1, 3_600_000).optional(),
  jemallocMuzzyDecayMs: int('muzzy_decay_ms', -1, 3_600_000).optional(),
});
export type Knobs = z.infer<typeof Knobs>;
export type KnobName = keyof Knobs;

export const KnobSpec = z.object({
  name: z.string(),
  label: z.string(),
  kind: z.enum(['boolean', 'choice', 'integer']),
  choices: z.array(z.string()).optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** What the knob becomes in the worker: an environment variable or a phase. */
  effect: z.string(),
  help: z.string(),
});
export type KnobSpec = z.infer<typeof KnobSpec>;

type KnobDef = Omit<KnobSpec, 'name'> & { runtimes: readonly Runtime[]; onlyWith?: 'glibc' | 'jemalloc' };

const BOTH: readonly Runtime[] = ['node', 'python'];

export const KNOB_DEFS: Record<KnobName, KnobDef> = {
  trim: {
    label: 'trim phase', kind: 'boolean', runtimes: BOTH, effect: 'malloc_trim(0) after collect',
    help: "glibc returns free memory only from the top of its brk heap; malloc_trim(0) also hands back free pages inside it (ctypes in CPython, koffi in Node).",
  },
  allocator: {
    label: 'allocator', kind: 'choice', choices: [...ALLOCATORS], runtimes: BOTH, effect: 'LD_PRELOAD=libjemalloc.so.2',
    help: 'glibc malloc, or jemalloc preloaded in its place: jemalloc purges freed pages after a decay time instead of trimming a heap top.',
  },
  pythonMalloc: {
    label: 'PYTHONMALLOC', kind: 'choice', choices: [...PYTHON_MALLOCS], runtimes: ['python'], effect: 'PYTHONMALLOC',
    help: "pymalloc puts objects ≤ 512 bytes in 1 MiB mmap'd arenas that go back only when empty; malloc sends every object to the C allocator.",
  },
  mallocTrimThreshold: {
    label: 'MALLOC_TRIM_THRESHOLD_', kind: 'integer', min: 0, max: 2 ** 40, runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_TRIM_THRESHOLD_',
    help: 'glibc shrinks the brk heap when free space at its top exceeds this (default 128 KiB, dynamic). Free space below a live chunk is not at the top.',
  },
  mallocMmapThreshold: {
    label: 'MALLOC_MMAP_THRESHOLD_', kind: 'integer', min: 0, max: MMAP_THRESHOLD_MAX, runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_MMAP_THRESHOLD_',
    help: 'Requests at least this big get their own mmap, returned at free (default 128 KiB, raised dynamically up to 32 MiB; setting it turns that off).',
  },
  mallocArenaMax: {
    label: 'MALLOC_ARENA_MAX', kind: 'integer', min: 1, max: 1024, runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_ARENA_MAX',
    help: 'How many glibc arenas threads may spread over (default 8 × cores). Each extra arena is a separately mmap\'d heap.',
  },
  jemallocDirtyDecayMs: {
    label: 'dirty_decay_ms', kind: 'integer', min: -1, max: 3_600_000, runtimes: BOTH, onlyWith: 'jemalloc', effect: 'MALLOC_CONF',
    help: 'jemalloc: how long freed (dirty) pages wait before being purged (default 10 000 ms; 0 = at once, -1 = never).',
  },
  jemallocMuzzyDecayMs: {
    label: 'muzzy_decay_ms', kind: 'integer', min: -1, max: 3_600_000, runtimes: BOTH, onlyWith: 'jemalloc', effect: 'MALLOC_CONF',
    help: 'jemalloc: how long lazily purged (muzzy) pages wait before being really returned (default 0 ms in jemalloc 5.3 on Linux; -1 = never).',
  },
};

export const KNOB_NAMES = Object.keys(KNOB_DEFS) as KnobName[];

export const knobSpec = (name: KnobName): KnobSpec => {
  const { runtimes: _r, onlyWith: _o, ...spec } = KNOB_DEFS[name];
  return { name, ...spec };
};

/** The knobs an experiment of this runtime takes. */
export const knobsFor = (runtime: Runtime): KnobName[] => KNOB_NAMES.filter((n) => KNOB_DEFS[n].runtimes.includes(runtime));

/** A knob that does not apply to this runtime or to the chosen allocator: "knobs.x: why". */
export function knobMisfit(knobs: Knobs, runtime: Runtime): string | undefined {
  const allocator = knobs.allocator ?? 'glibc';
  for (const name of KNOB_NAMES) {
    if (knobs[name] === undefined) continue;
    const def = KNOB_DEFS[name];
    if (!def.runtimes.includes(runtime)) return `knobs.${name}: only for ${def.runtimes.join(' and ')} experiments`;
    if (def.onlyWith && def.onlyWith !== allocator) {
      return def.onlyWith === 'jemalloc'
        ? `knobs.${name}: only with allocator "jemalloc"`
        : `knobs.${name}: a glibc malloc setting, ignored by allocator "${allocator}"`;
    }
  }
  return undefined;
}

/** The environment variables the knobs become in the worker; jemalloc needs the library's path. */
export function knobEnvironment(knobs: Knobs, jemallocPath: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (knobs.mallocTrimThreshold !== undefined) env.MALLOC_TRIM_THRESHOLD_ = String(knobs.mallocTrimThreshold);
  if (knobs.mallocMmapThreshold !== undefined) env.MALLOC_MMAP_THRESHOLD_ = String(knobs.mallocMmapThreshold);
  if (knobs.mallocArenaMax !== undefined) env.MALLOC_ARENA_MAX = String(knobs.mallocArenaMax);
  if (knobs.pythonMalloc !== undefined) env.PYTHONMALLOC = knobs.pythonMalloc;
  if (knobs.allocator === 'jemalloc') {
    if (!jemallocPath) throw new Error('knobs.allocator: jemalloc was asked for but no libjemalloc.so.2 was found');
    env.LD_PRELOAD = jemallocPath;
    const conf = [
      knobs.jemallocDirtyDecayMs === undefined ? '' : `dirty_decay_ms:${knobs.jemallocDirtyDecayMs}`,
      knobs.jemallocMuzzyDecayMs === undefined ? '' : `muzzy_decay_ms:${knobs.jemallocMuzzyDecayMs}`,
    ].filter(Boolean);
    if (conf.length > 0) env.MALLOC_CONF = conf.join(',');
  }
  return env;
}

export { KNOB_ENV_NAMES } from './knob-env.js';

/** "PYTHONMALLOC=malloc · trim" for titles. */
export function describeSettings(env: Record<string, string> | undefined, knobs: Knobs | undefined): string {
  const parts = Object.entries(env ?? {}).map(([k, v]) => (k === 'LD_PRELOAD' ? `LD_PRELOAD=${v.split('/').at(-1)}` : `${k}=${v}`));
  if (knobs?.trim) parts.push('malloc_trim(0) phase');
  return parts.length > 0 ? parts.join(' · ') : 'default allocator settings';
}

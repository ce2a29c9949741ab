// Allocator knobs: what a run may change about how its worker allocates, which runtime each applies
// to, and the environment they become. KNOB_DEFS is the one definition: the `knobs` schema, the
// specs the client draws and the worker environment are all derived from it.
import { z } from 'zod';
import { KNOB_ENV, type KnobEnvName } from './knob-env.js';
import type { Runtime } from './runtimes.js';

export const ALLOCATORS = ['glibc', 'jemalloc'] as const;
export const PYTHON_MALLOCS = ['pymalloc', 'malloc'] as const;

/** glibc caps M_MMAP_THRESHOLD at HEAP_MAX_SIZE / 2: 32 MiB on 64-bit (malloc/malloc.c). */
export const MMAP_THRESHOLD_MAX = 32 * 1024 * 1024;
/** jemalloc's decay times are ms from -1 (never) up to an hour here. */
const DECAY_MAX = 3_600_000;

export const KnobSpec = z.object({
  name: z.string(),
  label: z.string(),
  kind: z.enum(['boolean', 'choice', 'integer']),
  choices: z.array(z.string()).optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** The unit of an integer knob ("bytes", "ms", "arenas"), shown beside its field. */
  unit: z.string().optional(),
  /** What the knob becomes in the worker: an environment variable or a phase. */
  effect: z.string(),
  help: z.string(),
});
export type KnobSpec = z.infer<typeof KnobSpec>;

interface KnobDefBase {
  label: string;
  runtimes: readonly Runtime[];
  /** Applies only under this malloc (the others ignore the variable). */
  onlyWith?: 'glibc' | 'jemalloc';
  effect: string;
  help: string;
}
type KnobDef =
  | (KnobDefBase & { kind: 'boolean'; jemallocOption?: string })
  | (KnobDefBase & { kind: 'choice'; choices: readonly string[]; env?: KnobEnvName })
  | (KnobDefBase & { kind: 'integer'; min: number; max: number; unit: string; env?: KnobEnvName; jemallocOption?: string });

const BOTH: readonly Runtime[] = ['node', 'python'];

export const KNOB_DEFS = {
  trim: {
    kind: 'boolean', label: 'trim phase', runtimes: BOTH, effect: 'malloc_trim(0) after collect',
    help: "glibc returns free memory only from the top of its brk heap; malloc_trim(0) also hands back free pages inside it and in every thread arena (ctypes in CPython, koffi in Node). Under jemalloc the phase purges every arena instead (mallctl arena.4096.purge).",
  },
  allocator: {
    kind: 'choice', choices: ALLOCATORS, label: 'allocator', runtimes: BOTH, effect: 'LD_PRELOAD=libjemalloc.so.2',
    help: 'glibc malloc, or jemalloc preloaded in its place: jemalloc purges freed pages after a decay time instead of trimming a heap top.',
  },
  pythonMalloc: {
    kind: 'choice', choices: PYTHON_MALLOCS, env: KNOB_ENV.pythonMalloc, label: 'PYTHONMALLOC', runtimes: ['python'], effect: 'PYTHONMALLOC',
    help: "pymalloc puts objects ≤ 512 bytes in 1 MiB mmap'd arenas that go back only when empty; malloc sends every object to the C allocator.",
  },
  mallocTrimThreshold: {
    kind: 'integer', min: 0, max: 2 ** 40, unit: 'bytes', env: KNOB_ENV.trimThreshold, label: 'MALLOC_TRIM_THRESHOLD_', runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_TRIM_THRESHOLD_',
    help: 'glibc shrinks the brk heap when free space at its top exceeds this (default 128 KiB, dynamic). Free space below a live chunk is not at the top.',
  },
  mallocMmapThreshold: {
    kind: 'integer', min: 0, max: MMAP_THRESHOLD_MAX, unit: 'bytes', env: KNOB_ENV.mmapThreshold, label: 'MALLOC_MMAP_THRESHOLD_', runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_MMAP_THRESHOLD_',
    help: 'Requests at least this big get their own mmap, returned at free (default 128 KiB, raised dynamically up to 32 MiB; setting it turns that off).',
  },
  mallocArenaMax: {
    kind: 'integer', min: 1, max: 1024, unit: 'arenas', env: KNOB_ENV.arenaMax, label: 'MALLOC_ARENA_MAX', runtimes: BOTH, onlyWith: 'glibc', effect: 'MALLOC_ARENA_MAX',
    help: 'How many glibc arenas threads may spread over (default 8 × cores). Each extra arena is a separately mmap\'d heap.',
  },
  jemallocDirtyDecayMs: {
    kind: 'integer', min: -1, max: DECAY_MAX, unit: 'ms', jemallocOption: 'dirty_decay_ms', label: 'dirty_decay_ms', runtimes: BOTH, onlyWith: 'jemalloc', effect: 'MALLOC_CONF',
    help: 'jemalloc: how long freed (dirty) pages wait before being purged (default 10 000 ms; 0 = at once, -1 = never).',
  },
  jemallocMuzzyDecayMs: {
    kind: 'integer', min: -1, max: DECAY_MAX, unit: 'ms', jemallocOption: 'muzzy_decay_ms', label: 'muzzy_decay_ms', runtimes: BOTH, onlyWith: 'jemalloc', effect: 'MALLOC_CONF',
    help: 'jemalloc: how long lazily purged (muzzy) pages wait before being really returned (default 0 ms in jemalloc 5.3 on Linux; -1 = never).',
  },
  jemallocBackgroundThread: {
    kind: 'boolean', jemallocOption: 'background_thread', label: 'background_thread', runtimes: BOTH, onlyWith: 'jemalloc', effect: 'MALLOC_CONF',
    help: 'jemalloc: a background thread purges dirty pages as their decay runs out, even while the process is idle (otherwise decay advances only on malloc and free calls).',
  },
} as const satisfies Record<string, KnobDef>;

type Defs = typeof KNOB_DEFS;
export type KnobName = keyof Defs;
type KnobValue<D> = D extends { kind: 'boolean' } ? boolean
  : D extends { kind: 'choice'; choices: readonly (infer C)[] } ? C
  : number;
/** The `knobs` of a run, as asked for. */
export type Knobs = { [K in KnobName]?: KnobValue<Defs[K]> };

export const KNOB_NAMES = Object.keys(KNOB_DEFS) as KnobName[];
const defOf = (name: KnobName): KnobDef => KNOB_DEFS[name];

function fieldSchema(def: KnobDef): z.ZodType {
  switch (def.kind) {
    case 'boolean':
      return z.boolean({ error: 'must be true or false' });
    case 'choice':
      return z.enum(def.choices as [string, ...string[]], { error: `must be one of ${def.choices.join(', ')}` });
    case 'integer': {
      // One message for every way an integer knob can be wrong, so it is said once.
      const message = `must be an integer from ${def.min} to ${def.max}`;
      return z.number({ error: message }).refine((v) => Number.isInteger(v) && v >= def.min && v <= def.max, message);
    }
  }
}

/** The `knobs` object of POST /api/runs. Unknown knobs are errors. */
export const Knobs = z.strictObject(
  Object.fromEntries(KNOB_NAMES.map((name) => [name, fieldSchema(defOf(name)).optional()])),
) as unknown as z.ZodType<Knobs>;

export const knobSpec = (name: KnobName): KnobSpec => {
  const def = defOf(name);
  return {
    name, label: def.label, kind: def.kind, effect: def.effect, help: def.help,
    ...(def.kind === 'choice' && { choices: [...def.choices] }),
    ...(def.kind === 'integer' && { min: def.min, max: def.max, unit: def.unit }),
  };
};

export const onlyWithOf = (name: KnobName): 'glibc' | 'jemalloc' | undefined => defOf(name).onlyWith;

/** The knobs an experiment of this runtime takes. */
export const knobsFor = (runtime: Runtime): KnobName[] => KNOB_NAMES.filter((n) => defOf(n).runtimes.includes(runtime));

/** A knob that does not apply to this runtime or to the chosen allocator: "knobs.x: why". */
export function knobMisfit(knobs: Knobs, runtime: Runtime): string | undefined {
  const allocator = knobs.allocator ?? 'glibc';
  for (const name of KNOB_NAMES) {
    if (knobs[name] === undefined) continue;
    const def = defOf(name);
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
  const jemallocOptions: string[] = [];
  for (const name of KNOB_NAMES) {
    const value = knobs[name];
    const def = defOf(name);
    if (value === undefined) continue;
    if (def.kind !== 'boolean' && def.env) env[def.env] = String(value);
    if ((def.kind === 'integer' || def.kind === 'boolean') && def.jemallocOption && knobs.allocator === 'jemalloc') jemallocOptions.push(`${def.jemallocOption}:${value}`);
  }
  if (knobs.allocator === 'jemalloc') {
    if (!jemallocPath) throw new Error('knobs.allocator: jemalloc was asked for but no libjemalloc.so.2 was found');
    env[KNOB_ENV.preload] = jemallocPath;
    if (jemallocOptions.length > 0) env[KNOB_ENV.jemallocConf] = jemallocOptions.join(',');
  }
  return env;
}

export { KNOB_ENV_NAMES } from './knob-env.js';

/** "PYTHONMALLOC=malloc · trim" for titles. */
export function describeSettings(env: Record<string, string> | undefined, knobs: Knobs | undefined): string {
  const parts = Object.entries(env ?? {}).map(([k, v]) => (k === KNOB_ENV.preload ? `${k}=${v.split('/').at(-1)}` : `${k}=${v}`));
  if (knobs?.trim) parts.push('malloc_trim(0) phase');
  return parts.length > 0 ? parts.join(' · ') : 'default allocator settings';
}

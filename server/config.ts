// `npm start`'s settings, from the environment. Pure, so every refusal is tested without a process.
import type { AppOptions } from './app.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../shared/limits.js';
import { quote } from '../shared/validation.js';
import { allowCodeFromEnv } from './code-policy.js';
import { DEFAULT_DATA_DIR } from './storage/run-store.js';
import { WORKER_NICE_MAX } from './worker-priority.js';

export type ConfigResult = { ok: true; options: AppOptions } | { ok: false; error: string };

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : `${name} must be an integer from ${min} to ${max}, got ${quote(value)}`;
}

export function configFromEnv(env: NodeJS.ProcessEnv): ConfigResult {
  const numbers = {
    port: integer(env, 'PORT', 0, 65535),
    // Bounded by the machine's memory in startApp, which knows that bound.
    memoryCapMiB: integer(env, 'MEMTIDE_MEMORY_CAP_MIB', 1, Number.MAX_SAFE_INTEGER),
    wallClockCapS: integer(env, 'MEMTIDE_WALL_CLOCK_S', 1, 24 * 3600),
    sampleHz: integer(env, 'MEMTIDE_SAMPLE_HZ', SAMPLE_HZ_MIN, SAMPLE_HZ_MAX),
    workerNice: integer(env, 'MEMTIDE_WORKER_NICE', 0, WORKER_NICE_MAX),
  };
  for (const value of Object.values(numbers)) if (typeof value === 'string') return { ok: false, error: value };
  const { port, memoryCapMiB, wallClockCapS, sampleHz, workerNice } = numbers as Record<keyof typeof numbers, number | undefined>;
  const allowCode = allowCodeFromEnv(env.MEMTIDE_ALLOW_CODE);
  if (typeof allowCode === 'string') return { ok: false, error: allowCode };
  return {
    ok: true,
    options: {
      host: env.HOST || '127.0.0.1',
      port: port ?? 5177,
      token: env.MEMTIDE_TOKEN || undefined,
      allowedHosts: (env.MEMTIDE_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
      dataDir: env.MEMTIDE_DATA || DEFAULT_DATA_DIR,
      memoryCapMiB,
      wallClockCapS,
      sampleHz,
      ...(workerNice !== undefined && { workerNice }),
      allowCode,
      ...(env.MEMTIDE_ALLOW_PROBES === '1' && { allowProbes: true }),
    },
  };
}

// parseRunRequest: what every way in (HTTP, CLI) gets back for a body, and the record built from it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WALL_CLOCK_S, MEMORY_CAP_MIB, SETTLE_MS } from '../shared/limits.js';
import { FULL_MACHINE } from '../test/fixtures/machine.js';
import type { Machine } from './machine.js';
import { DEFAULT_SAMPLE_HZ, newRunRecord, parseRunRequest } from './run-request.js';

const full = FULL_MACHINE;
const defaults = { maxMemoryCapMiB: 4096 };
const parse = (body: unknown) => parseRunRequest(body, full, defaults);
const error = (body: unknown) => {
  const result = parse(body);
  return result.ok ? 'accepted' : result.error;
};

describe('parseRunRequest', () => {
  it('fills every default in, and resolves knobs into the worker environment', () => {
    expect(parse({ experiment: 'seed-strings' })).toEqual({
      ok: true,
      request: {
        experiment: { id: 'seed-strings', runtime: 'node' }, params: { n: 10_000_000 }, knobs: {}, workerEnv: {},
        memoryCapMiB: MEMORY_CAP_MIB.default, wallClockCapS: DEFAULT_WALL_CLOCK_S, sampleHz: DEFAULT_SAMPLE_HZ, settleMs: SETTLE_MS.default,
      },
    });
    const py = parse({ experiment: 'py-fragmentation', params: { n: 1000 }, knobs: { allocator: 'jemalloc', jemallocDirtyDecayMs: 0 }, memoryCapMiB: 512, sampleHz: 250, settleMs: 5000 });
    expect(py).toEqual({
      ok: true,
      request: {
        experiment: { id: 'py-fragmentation', runtime: 'python' }, params: { n: 1000, keepEvery: 1000 },
        knobs: { allocator: 'jemalloc', jemallocDirtyDecayMs: 0 },
        workerEnv: { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', MALLOC_CONF: 'dirty_decay_ms:0' },
        python: '/usr/bin/python3', memoryCapMiB: 512, wallClockCapS: DEFAULT_WALL_CLOCK_S, sampleHz: 250, settleMs: 5000,
      },
    });
  });

  it("takes the server's defaults where the body says nothing", () => {
    const result = parseRunRequest({ experiment: 'seed-strings' }, full, { sampleHz: 50, memoryCapMiB: 300, wallClockCapS: 30, maxMemoryCapMiB: 4096 });
    expect(result.ok && [result.request.sampleHz, result.request.memoryCapMiB, result.request.wallClockCapS]).toEqual([50, 300, 30]);
  });

  it.each([
    [[1, 2], 'body: must be a JSON object like {"experiment": "seed-strings"}'],
    [{}, 'experiment: required, the id of an experiment'],
    [{ experiment: 12 }, 'experiment: must be a string, the id of an experiment'],
    [{ experiment: 'nope' }, 'experiment: unknown experiment "nope"'],
    [{ experiment: 'seed-strings', params: { n: 5 } }, 'params.n: must be between 1000 and 50000000, got 5'],
    [{ experiment: 'seed-strings', knobs: { pythonMalloc: 'malloc' } }, 'knobs.pythonMalloc: only for python experiments'],
    [{ experiment: 'seed-strings', memoryCapMiB: 8192 }, "memoryCapMiB: must be between 64 and 4096 MiB (90 % of this machine's memory), got 8192"],
    [{ experiment: 'seed-strings', settleMs: 100 }, 'settleMs: must be an integer from 200 to 60000 (ms)'],
    [{ experiment: 'seed-strings', sampleHz: 0 }, 'sampleHz: must be a number from 1 to 1000 (samples per second)'],
  ])('%j → %s', (body, message) => {
    expect(error(body)).toBe(message);
  });

  it('says what this machine lacks', () => {
    const bare: Machine = { python: 'python3 not found (ENOENT): install python3', jemalloc: 'libjemalloc.so.2 not found', koffi: 'koffi cannot load', glibc: { version: '2.36' } };
    expect(parseRunRequest({ experiment: 'py-seed' }, bare)).toEqual({ ok: false, error: 'experiment: py-seed is not available on this machine: python3 not found (ENOENT): install python3' });
    expect(parseRunRequest({ experiment: 'small-buffers', knobs: { trim: true } }, bare)).toEqual({ ok: false, error: 'knobs.trim: not available on this machine: koffi cannot load' });
  });

  it('quotes at most ~80 characters of what was sent, and says each thing once', () => {
    const nuls = error({ experiment: '\u0000'.repeat(10_000) });
    expect(nuls).toBe(`experiment: unknown experiment ${JSON.stringify('\u0000'.repeat(13)).slice(0, 79)}…`);
    expect(error({ experiment: 'py-seed', knobs: { ['k'.repeat(50_000)]: 1 } })).toBe(`knobs.${'k'.repeat(39)}…: unknown field`);
    expect(error({ experiment: 'py-seed', knobs: { mallocTrimThreshold: 1e308 } })).toBe('knobs.mallocTrimThreshold: must be an integer from 0 to 1099511627776');
    expect(error({ experiment: 'seed-strings', params: { ['p'.repeat(50_000)]: 1 } })).toBe(`params.${'p'.repeat(40)}: unknown parameter for seed-strings (known: n)`);
  });
});

describe('newRunRecord', () => {
  it('is the queued record of the request: settings, caps and settleMs included, no timeline', () => {
    const result = parse({ experiment: 'small-buffers', params: { n: 100 }, knobs: { trim: true }, settleMs: 3000, sampleHz: 100 });
    if (!result.ok) throw new Error(result.error);
    const record = newRunRecord(result.request, 'run-1');
    expect(record).toEqual({
      id: 'run-1', experiment: 'small-buffers', runtime: 'node', params: { n: 100 }, knobs: { trim: true }, workerEnv: {},
      status: 'queued', createdAt: expect.any(Number), settleMs: 3000, sampleHz: 100, sampler: 'none', summary: null,
      memoryCapMiB: MEMORY_CAP_MIB.default, wallClockCapS: DEFAULT_WALL_CLOCK_S, phases: [], samples: [], heap: [], breakdowns: [],
    });
    expect(newRunRecord(result.request).id).toMatch(/^[a-z0-9]+-[0-9a-f]{6}$/);
  });
});

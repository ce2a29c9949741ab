// parseMatrixRequest: one run request per setting this machine can run, the rest skipped with why.
import { describe, expect, it } from 'vitest';
import { FULL_MACHINE } from '../test/fixtures/machine.js';
import type { Machine } from './machine.js';
import { parseMatrixRequest } from './matrix-request.js';

const full = FULL_MACHINE;
const defaults = { maxMemoryCapMiB: 4096 };

describe('parseMatrixRequest', () => {
  it('makes one run per setting, each tagged with the matrix, with its knobs and environment', () => {
    const result = parseMatrixRequest({ experiment: 'py-fragmentation', params: { n: 1000 }, settleMs: 300 }, full, defaults);
    if (!result.ok) throw new Error(result.error);
    const { id, runs, skipped } = result.request;
    expect(skipped).toEqual([]);
    expect(runs.map((r) => [r.matrix, r.knobs, r.workerEnv])).toEqual([
      [{ id, setting: 'glibc' }, {}, {}],
      [{ id, setting: 'glibc + trim' }, { trim: true }, {}],
      [{ id, setting: 'jemalloc' }, { allocator: 'jemalloc' }, { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }],
      [{ id, setting: 'jemalloc decay 0' }, { allocator: 'jemalloc', jemallocDirtyDecayMs: 0, jemallocMuzzyDecayMs: 0 },
        { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' }],
      [{ id, setting: 'PYTHONMALLOC=malloc' }, { pythonMalloc: 'malloc' }, { PYTHONMALLOC: 'malloc' }],
    ]);
    expect(new Set(runs.map((r) => `${r.settleMs} ${r.params.n} ${r.params.keepEvery}`))).toEqual(new Set(['300 1000 1000']));
  });

  it('skips what this machine cannot run, saying why', () => {
    const bare: Machine = { ...full, jemalloc: 'libjemalloc.so.2 not found (apt-get install libjemalloc2)', koffi: 'koffi cannot load malloc_trim' };
    const result = parseMatrixRequest({ experiment: 'seed-strings', params: { n: 1000 } }, bare, defaults);
    if (!result.ok) throw new Error(result.error);
    expect(result.request.runs.map((r) => r.matrix.setting)).toEqual(['glibc']);
    expect(result.request.skipped).toEqual([
      { setting: 'glibc + trim', reason: 'knobs.trim: not available on this machine: koffi cannot load malloc_trim' },
      { setting: 'jemalloc', reason: 'knobs.allocator: not available on this machine: libjemalloc.so.2 not found (apt-get install libjemalloc2)' },
      { setting: 'jemalloc decay 0', reason: 'knobs.allocator: not available on this machine: libjemalloc.so.2 not found (apt-get install libjemalloc2)' },
    ]);
  });

  it.each([
    [{ experiment: 'seed-strings', knobs: { trim: true } }, 'knobs: unknown field'],
    [{ experiment: 'seed-strings', params: { n: 5 } }, 'params.n: must be between 1000 and 50000000, got 5'],
    [{ experiment: 'nope' }, 'experiment: unknown experiment "nope"'],
    [{ experiment: 'seed-strings', settleMs: 10 }, 'settleMs: must be an integer from 200 to 60000 (ms)'],
    [[], 'body: must be a JSON object like {"experiment": "py-fragmentation"}'],
  ])('refuses the whole matrix for %j', (body, error) => {
    expect(parseMatrixRequest(body, full, defaults)).toEqual({ ok: false, error });
  });
});

// server/workers/python-worker.py cannot import shared/: it repeats the experiment ids, the knob
// environment names and the phase timings. These tests read it and check it agrees.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PYTHON_EXPERIMENTS } from './catalog/index.js';
import { KNOB_ENV_NAMES } from './knob-env.js';

const python = readFileSync(new URL('../server/workers/python-worker.py', import.meta.url), 'utf8');

describe('python-worker.py agrees with shared/', () => {
  it('runs exactly the catalog\'s Python experiments', () => {
    const table = /^EXPERIMENTS = \{\n([\s\S]*?)^\}/m.exec(python)?.[1] ?? '';
    const ids = [...table.matchAll(/^\s+'([a-z0-9-]+)':/gm)].map((m) => m[1]);
    expect(ids.sort()).toEqual(PYTHON_EXPERIMENTS.map((e) => e.id).sort());
  });
  it('reports the same knob environment variables the server sets and strips', () => {
    const tuple = /^KNOB_ENV = \(([^)]*)\)/m.exec(python)?.[1] ?? '';
    const names = [...tuple.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(names.sort()).toEqual([...KNOB_ENV_NAMES].sort());
  });
});

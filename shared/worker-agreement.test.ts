// server/workers/python-worker.py (and python_experiments.py beside it) cannot import shared/: they repeat the experiment ids, the knob
// environment names, the phase names, the spec's fields and the names of the figures it reports.
// These tests read it and check it agrees. (Its timings come in the spec: it repeats none.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_ARENAS } from '../server/workers/node-allocator.js';
import { PYTHON_EXPERIMENTS } from './catalog/index.js';
import { CODE_FD, CODE_FIELDS } from './custom/facts.js';
import { KNOB_ENV_NAMES } from './knob-env.js';
import { ALL_PHASES } from './phases.js';
import { WorkerSpec } from './protocol/worker.js';
import { GlibcFigures, JemallocFigures, PymallocFigures } from './run-record.js';

const python = readFileSync(new URL('../server/workers/python-worker.py', import.meta.url), 'utf8');
const experiments = readFileSync(new URL('../server/workers/python_experiments.py', import.meta.url), 'utf8');
const quoted = (text: string) => [...text.matchAll(/'([A-Za-z_][\w-]*)'/g)].map((m) => m[1]!);

describe('python-worker.py agrees with shared/', () => {
  it('runs exactly the catalog\'s Python experiments', () => {
    expect(python).toMatch(/^from python_experiments import EXPERIMENTS$/m);
    const table = /^EXPERIMENTS = \{\n([\s\S]*?)^\}/m.exec(experiments)?.[1] ?? '';
    const ids = [...table.matchAll(/^\s+'([a-z0-9-]+)':/gm)].map((m) => m[1]);
    expect(ids.sort()).toEqual(PYTHON_EXPERIMENTS.map((e) => e.id).sort());
  });
  it('reports the same knob environment variables the server sets and strips', () => {
    const tuple = /^KNOB_ENV = \(([^)]*)\)/m.exec(python)?.[1] ?? '';
    expect(quoted(tuple).sort()).toEqual([...KNOB_ENV_NAMES].sort());
  });
  it('knows every phase name, and a method for each', () => {
    const tuple = /^PHASES = \(([^)]*)\)/m.exec(python)?.[1] ?? '';
    expect(quoted(tuple)).toEqual([...ALL_PHASES]);
    for (const phase of ALL_PHASES) expect(python).toMatch(new RegExp(`^    def ${phase}\\(self\\):`, 'm'));
  });
  it('reads every field of the spec, and hard-codes no timing', () => {
    for (const field of Object.keys(WorkerSpec.shape)) expect(python, field).toMatch(new RegExp(`spec(\\.get\\()?\\['?${field}'`));
    expect(python).not.toMatch(/^(BASELINE_MS|SETTLE_MS|REPORT_EVERY_MS)\s*=/m);
  });
  it('names its figures as the schema does', () => {
    const block = (key: string) => quoted(new RegExp(`\\{'${key}': \\{([\\s\\S]*?)\\}\\}`).exec(python)?.[1] ?? '').filter((k) => !/^(stats|opt|arenas|epoch)\b/.test(k));
    expect(block('glibc').sort()).toEqual(Object.keys(GlibcFigures.shape).sort());
    const jemalloc = block('jemalloc').filter((k) => k in JemallocFigures.shape);
    expect([...jemalloc, ...quoted(/self\._settings = \{([^}]*)\}/.exec(python)?.[1] ?? '').filter((k) => k in JemallocFigures.shape)].sort())
      .toEqual(Object.keys(JemallocFigures.shape).sort());
    const pymalloc = /return \{('allocated'[^}]*)\}/.exec(python)?.[1] ?? '';
    expect(quoted(pymalloc).filter((k) => k in PymallocFigures.shape).sort()).toEqual(Object.keys(PymallocFigures.shape).sort());
  });
  it('reads custom code from the same descriptor, with the same fields and file names', () => {
    expect(Number(/^CODE_FD = (\d+)/m.exec(python)?.[1])).toBe(CODE_FD);
    expect(quoted(/^CODE_FIELDS = \(([^)]*)\)/m.exec(python)?.[1] ?? '')).toEqual([...CODE_FIELDS]);
    expect(python).toContain(`frame.filename in (${CODE_FIELDS.map((f) => `'<${f}>'`).join(', ')})`);
  });
  it('uses the same "all arenas" index for jemalloc\'s mallctl as the Node worker', () => {
    expect(Number(/^ALL_ARENAS = (\d+)/m.exec(python)?.[1])).toBe(ALL_ARENAS);
  });
});

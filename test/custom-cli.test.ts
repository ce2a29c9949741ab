// `memtide run --code`: the user's code from files, with the runtime from the extension, every
// other run flag, and the same checks as the API.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machine } from '../server/machine.js';
import { RunRecord } from '../shared/run-record.js';
import { tempDataDir } from './helpers.js';

const dir = tempDataDir();
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const memtide = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dir, ...env } });

describe('memtide run --code', () => {
  it.skipIf(typeof machine().python === 'string')('runs a .py file as CPython with --setup and --unref, and prints what it printed and the seed lines', () => {
    const alloc = file('alloc.py', "bar = make(200000)\nprint('made', len(bar))\n");
    const setup = file('setup.py', 'def make(n):\n    return [str(i) for i in range(n)]\n');
    const r = memtide(['run', '--code', alloc, '--setup', setup, '--unref', 'del bar', '--settle', '200']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\n--- what the code printed ---\nmade 200000\n---\n');
    expect(r.stdout).toMatch(/^your code \(sha256 [0-9a-f]{12}\) on python 3\./m);
    expect(r.stdout).toMatch(/^Allocation: \d+\.\d\d%/m);
  });

  it('runs a .js file as Node; --json gives the record with the exact code', () => {
    const alloc = file('alloc.js', 'let foo = Array.from({ length: 100000 }, (_, i) => `s${i}`);\n');
    const r = memtide(['run', '--code', alloc, '--json', '--hz', '200', '--settle', '200']);
    expect(r.status, r.stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(r.stdout));
    expect(record).toMatchObject({ experiment: 'custom', runtime: 'node', status: 'finished', sampleHz: 200, settleMs: 200 });
    expect(record.code).toEqual({ setup: '', allocate: 'let foo = Array.from({ length: 100000 }, (_, i) => `s${i}`);\n', unreference: 'foo = null;' });
  });

  it('a failing run exits 1 with the line and phase', () => {
    const alloc = file('broken.js', 'let foo = 1;\n\nfoo(;\n');
    const r = memtide(['run', '--code', alloc]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("memtide: run failed: your code failed in phase allocate, line 3, column 5: SyntaxError: Unexpected token ';'");
  });

  it.each([
    [['run', '--code', 'nope.py'], /--code "nope\.py": no such file/],
    [['run', '--code', 'x.txt'], /--code "x\.txt": say --runtime python or node/],
    [['run', '--code', 'x.py', '--runtime', 'ruby'], /--runtime "ruby": must be node or python/],
    [['run', 'seed-strings', '--unref', 'del foo'], /--unref: only with --code/],
    [['run', 'seed-strings', '--code', 'x.js'], /run --code takes no experiment id, got "seed-strings"/],
  ])('%j exits 2 with a clear message', (args, message) => {
    const r = memtide(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('MEMTIDE_ALLOW_CODE=0 refuses it', () => {
    const r = memtide(['run', '--code', file('ok.js', 'let foo = 1;')], { MEMTIDE_ALLOW_CODE: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/MEMTIDE_ALLOW_CODE=0: user code is turned off/);
  });
});

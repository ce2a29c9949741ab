// The run store on a real directory: atomic saves, and a data directory with damage in it.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/run-record.js';
import { RunStore } from './run-store.js';

const record = (id: string, createdAt = 1_700_000_000_000): RunRecord => ({
  id, experiment: 'seed-strings', runtime: 'node', params: { n: 1000 }, status: 'cancelled', createdAt, endedAt: createdAt + 5,
  sampleHz: 100, sampler: 'proc-statm', summary: null, error: 'cancelled by the user', memoryCapMiB: 2048, wallClockCapS: 120,
  phases: [{ name: 'baseline', start: createdAt, end: createdAt + 1 }], samples: [{ t: createdAt, rss: 40e6 }], heap: [],
  knobs: {}, workerEnv: {}, breakdowns: [],
});

const tempStore = () => new RunStore(mkdtempSync(join(process.env.MEMTIDE_TEST_DATA_ROOT ?? tmpdir(), 'memtide-store-')));

describe('RunStore', () => {
  it('saves, lists, loads, replaces and deletes runs, leaving no temp files', () => {
    const store = tempStore();
    store.save(record('a-1'));
    store.save(record('b-2'));
    store.save({ ...record('a-1'), error: 'second version' });
    expect(readdirSync(store.dir).sort()).toEqual(['a-1.json', 'b-2.json']);
    expect(store.list().records.map((r) => r.id).sort()).toEqual(['a-1', 'b-2']);
    expect(store.load('a-1')?.error).toBe('second version');
    expect(store.load('b-2')).toEqual(record('b-2'));
    expect(store.delete('b-2')).toBe(true);
    expect(store.delete('b-2')).toBe(false);
    expect(store.load('b-2')).toBeUndefined();
  });

  it('never touches a path outside its directory', () => {
    const store = tempStore();
    expect(() => store.save(record('../escape'))).toThrow();
    expect(store.load('../../etc/passwd')).toBeUndefined();
    expect(store.delete('../x')).toBe(false);
  });

  it('reports and skips corrupt files, and removes temp files a crash left', () => {
    const store = tempStore();
    store.save(record('good-1'));
    writeFileSync(join(store.dir, 'truncated-2.json'), JSON.stringify(record('truncated-2')).slice(0, 50));
    writeFileSync(join(store.dir, 'not-a-run-3.json'), '{"hello": "world"}');
    writeFileSync(join(store.dir, 'other-4.json'), JSON.stringify(record('someone-else')));
    writeFileSync(join(store.dir, '.tmp-good-1-deadbeef'), '{"half');
    writeFileSync(join(store.dir, 'README.txt'), 'not ours');
    const { records, problems } = store.list();
    expect(records.map((r) => r.id)).toEqual(['good-1']);
    expect(problems.map((p) => p.file).sort()).toEqual(['not-a-run-3.json', 'other-4.json', 'truncated-2.json']);
    expect(problems.find((p) => p.file === 'other-4.json')?.error).toMatch(/holds run someone-else/);
    expect(existsSync(join(store.dir, '.tmp-good-1-deadbeef'))).toBe(false);
  });
});

// Saved custom experiments as rows of the run database: saved, listed, updated and deleted in
// transactions, read back by a new connection (a restart, another process), a damaged row
// reported and left alone, the 500 bound, and a database that cannot be written saying so.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { record, tempDir } from '../../test/store-fixtures.js';
import { CustomStore, MAX_SAVED } from './custom-store.js';
import { RunStore } from './run-store.js';
import { SCHEMA_VERSION } from './schema.js';

const body = { name: 'Map of 10⁶', runtime: 'node' as const, code: { allocate: 'let foo = new Map();' } };

describe('CustomStore', () => {
  it('saves, lists newest first, updates, deletes, and a new connection reads the same', () => {
    const dir = tempDir();
    const store = new RunStore(dir);
    const custom = new CustomStore(store);
    const a = custom.create(body);
    const b = custom.create({ ...body, name: 'second', runtime: 'python', code: { allocate: 'foo = [0] * 10**6' }, notes: 'a list' });
    if (a === 'full' || b === 'full') throw new Error('not full');
    expect(a).toEqual({ ...body, id: expect.stringMatching(/^[a-z0-9]+-[0-9a-f]{6}$/), createdAt: expect.any(Number), updatedAt: a.createdAt });
    expect(custom.list().map((e) => e.name)).toEqual(['second', 'Map of 10⁶']);
    const renamed = custom.update(a.id, { ...body, name: 'renamed' });
    expect(renamed).toEqual({ ...body, name: 'renamed', id: a.id, createdAt: a.createdAt, updatedAt: expect.any(Number) });
    expect(renamed!.updatedAt).toBeGreaterThan(a.updatedAt);
    expect(custom.list().map((e) => e.name)).toEqual(['renamed', 'second']);
    expect(custom.update('no-such', body)).toBeUndefined();

    // Another connection (a restart, or another process reading the data directory) sees the same rows.
    const reader = new RunStore(dir, { readonly: true });
    expect(new CustomStore(reader).list()).toEqual([renamed, b]);
    expect(new CustomStore(reader).get(b.id)).toEqual(b);
    expect(custom.delete(b.id)).toBe(true);
    expect(custom.delete(b.id)).toBe(false);
    expect(new CustomStore(reader).list()).toEqual([renamed]);
    // The columns a sqlite3 user queries match the JSON.
    expect(reader.db.prepare('SELECT id, name, runtime, created_at, updated_at FROM custom_experiments').all()).toEqual([
      { id: a.id, name: 'renamed', runtime: 'node', created_at: a.createdAt, updated_at: renamed!.updatedAt },
    ]);
    reader.close();
    store.close();
    expect(new CustomStore(new RunStore(dir)).list()).toEqual([renamed]);
  });

  it('reports a damaged row once, skips it, and leaves it in the database', () => {
    const store = new RunStore(tempDir());
    const lines: string[] = [];
    const custom = new CustomStore(store, (line) => lines.push(line));
    const good = custom.create(body);
    const insert = store.db.prepare("INSERT INTO custom_experiments VALUES (?, 'x', 'node', 1, ?, ?)");
    insert.run('not-json', 3, '{"name":');
    insert.run('no-code', 2, JSON.stringify({ ...body, code: undefined, id: 'no-code', createdAt: 1, updatedAt: 2 }));
    insert.run('other-id', 1, JSON.stringify({ ...body, id: 'someone', createdAt: 1, updatedAt: 1 }));
    expect(custom.list()).toEqual([good]);
    expect(custom.list()).toEqual([good]);
    expect(custom.get('no-code')).toBeUndefined();
    expect(lines).toEqual([
      expect.stringMatching(/^memtide: skipped saved experiment not-json in .*memtide\.db: not JSON \(.*\); its row is left as it is$/),
      expect.stringMatching(/^memtide: skipped saved experiment no-code in .*: not a saved experiment: code: .*; its row is left as it is$/),
      expect.stringMatching(/^memtide: skipped saved experiment other-id in .*: holds experiment someone; its row is left as it is$/),
    ]);
    expect(store.db.prepare('SELECT count(*) FROM custom_experiments').pluck().get()).toBe(4);
    store.close();
  });

  it(`refuses the ${MAX_SAVED + 1}st with 'full' and writes nothing`, () => {
    const store = new RunStore(tempDir());
    const custom = new CustomStore(store);
    for (let i = 0; i < MAX_SAVED; i++) expect(custom.create({ ...body, name: `n${i}` })).not.toBe('full');
    expect(custom.create(body)).toBe('full');
    expect(custom.list()).toHaveLength(MAX_SAVED);
    store.close();
  });

  it('a database this process may only read: saving, updating and deleting throw why, nothing changes', () => {
    const dir = tempDir();
    const writer = new RunStore(dir);
    const saved = new CustomStore(writer).create(body);
    if (saved === 'full') throw new Error('not full');
    const reader = new RunStore(dir, { readonly: true });
    const custom = new CustomStore(reader);
    const why = /^could not (save|delete) experiment [a-z0-9-]+: .*memtide\.db cannot be written \(SQLITE_READONLY: attempt to write a readonly database\); make it and its directory writable$/;
    expect(() => custom.create(body)).toThrow(why);
    expect(() => custom.update(saved.id, { ...body, name: 'renamed' })).toThrow(why);
    expect(() => custom.delete(saved.id)).toThrow(why);
    expect(custom.list()).toEqual([saved]);
    reader.close();
    writer.close();
  });

  it('brings a schema 2 database up: the tables are added, its runs kept', () => {
    const dir = tempDir();
    const old = new RunStore(dir);
    old.save(record('kept-1'));
    old.close();
    const db = new Database(`${dir}/memtide.db`);
    db.exec("DROP TABLE custom_experiments; DROP TABLE imported_custom_files; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    db.close();
    const store = new RunStore(dir);
    expect(store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
    expect(SCHEMA_VERSION).toBe(3);
    expect(store.load('kept-1')).toEqual(record('kept-1'));
    expect(new CustomStore(store).create(body)).toMatchObject({ name: 'Map of 10⁶' });
    store.close();
  });
});

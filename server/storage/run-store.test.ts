// The run store on a real database in a real directory: save, load, replace, delete, pages with
// filters and cursors, and what it says about a data directory or a file that is not right.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/run-record.js';
import { record, summary, tempDir } from '../../test/store-fixtures.js';
import { DATABASE_FILE } from './open-database.js';
import { matches, mergePage, pageSpec, type PageSpec } from './run-query.js';
import { RunStore } from './run-store.js';

const spec = (query: Parameters<typeof pageSpec>[0]): PageSpec => {
  const result = pageSpec(query);
  if (!result.ok) throw new Error(result.error);
  return result.spec;
};

describe('RunStore', () => {
  it('saves, loads, replaces and deletes runs in one database file', () => {
    const store = new RunStore(tempDir());
    store.save(record('a-1'));
    store.save(record('b-2', 1_700_000_000_500, { knobs: { trim: true } }));
    store.save({ ...record('a-1'), error: 'second version' });
    expect(store.load('a-1')?.error).toBe('second version');
    expect(store.load('b-2')).toEqual(record('b-2', 1_700_000_000_500, { knobs: { trim: true } }));
    expect(store.page(spec({})).runs.map((r) => r.id)).toEqual(['b-2', 'a-1']);
    expect(store.delete('b-2')).toBe(true);
    expect(store.delete('b-2')).toBe(false);
    expect(store.load('b-2')).toBeUndefined();
    expect(store.changesSince(0).map((c) => [c.runId, c.change])).toEqual([['a-1', 'saved'], ['b-2', 'saved'], ['a-1', 'saved'], ['b-2', 'deleted']]);
    store.close();
    // What the sqlite3 shell sees (README): one row per run, figures in columns.
    const db = new Database(join(store.dir, DATABASE_FILE), { readonly: true });
    expect(db.prepare('SELECT id, experiment, status, sample_count FROM runs').all()).toEqual([{ id: 'a-1', experiment: 'seed-strings', status: 'cancelled', sample_count: 2 }]);
    db.close();
  });

  it('never takes an id that is not a run id', () => {
    const store = new RunStore(tempDir());
    expect(() => store.save(record('../escape'))).toThrow();
    expect(store.load('../../etc/passwd')).toBeUndefined();
    expect(store.delete("x' OR 1=1 --")).toBe(false);
  });

  it('pages newest first with a cursor, filters with AND, counts every match, sorts by Overall', () => {
    const store = new RunStore(tempDir());
    const verdicts = ['released', 'retained by allocator', 'still referenced'] as const;
    for (let i = 0; i < 30; i++) {
      store.save(record(`r-${String(i).padStart(2, '0')}`, 1_700_000_000_000 + i * 1000, {
        experiment: i % 2 ? 'py-seed' : 'seed-strings', runtime: i % 2 ? 'python' : 'node', status: i % 5 === 4 ? 'failed' : 'finished',
        summary: i % 5 === 4 ? null : summary(i * 10 - 100, verdicts[i % 3]!), knobs: i === 7 ? { allocator: 'jemalloc' } : {},
      }));
    }
    const first = store.page(spec({ limit: 10 }));
    expect(first.total).toBe(30);
    expect(first.runs.map((r) => r.id).slice(0, 3)).toEqual(['r-29', 'r-28', 'r-27']);
    expect(first.runs).toHaveLength(11); // one more than asked: the caller learns there is a next page
    const second = store.page(spec({ limit: 10, before: `date.desc.${1_700_000_000_000 + 20_000}.r-20` }));
    expect(second.runs[0]!.id).toBe('r-19');

    const python = store.page(spec({ runtime: 'python', verdict: 'released' }));
    expect(python.runs.map((r) => r.id)).toEqual(['r-27', 'r-21', 'r-15', 'r-03']); // odd, ≡ 0 mod 3, not failed (r-09 is)
    expect(python.total).toBe(4);
    expect(store.page(spec({ q: 'JEMALLOC' })).runs.map((r) => r.id)).toEqual(['r-07']);
    expect(store.page(spec({ q: 'SEED in CPYTHON' })).total).toBe(15); // py-seed's title
    expect(store.page(spec({ q: "' OR 1=1 --" })).total).toBe(0);
    expect(store.page(spec({ status: 'failed', experiment: 'seed-strings' })).runs.map((r) => r.id)).toEqual(['r-24', 'r-14', 'r-04']);

    const byOverall = store.page(spec({ sort: 'overall', limit: 50 })).runs;
    expect(byOverall.slice(0, 2).map((r) => r.id)).toEqual(['r-28', 'r-27']);
    expect(byOverall.slice(-6).every((r) => r.summary === null)).toBe(true); // no figure: last
    const ascending = store.page(spec({ sort: 'overall', order: 'asc', limit: 3 })).runs.map((r) => r.id);
    expect(ascending).toEqual(['r-00', 'r-01', 'r-02', 'r-03']);
  });

  it('pages past damaged rows: one bad row among 120 runs does not end the paging, and each good run comes once', () => {
    const store = new RunStore(tempDir());
    const ids = Array.from({ length: 120 }, (_, i) => `r-${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) store.save(record(id, 1_700_000_000_000 + i * 1000));
    const newestFirst = [...ids].reverse();
    const bad = newestFirst[9]!; // the 10th run of the first page: r-110
    // JSON (the matrix index reads it) but not a run: what a hand edit or a bug leaves.
    store.db.prepare("UPDATE runs SET info = json_object('id', id, 'status', 42) WHERE id = ?").run(bad);
    const pageAll = (limit: number) => {
      const seen: string[] = [];
      const pages: { total: number; damaged?: number; count: number }[] = [];
      let before: string | undefined;
      do {
        const s = spec({ limit, ...(before && { before }) });
        const page = mergePage(s, store.page(s), []);
        seen.push(...page.runs.map((r) => r.id));
        pages.push({ total: page.total, ...(page.damaged && { damaged: page.damaged }), count: page.runs.length });
        before = page.next;
      } while (before);
      return { seen, pages };
    };
    const { seen, pages } = pageAll(50);
    expect(seen).toEqual(newestFirst.filter((id) => id !== bad));
    expect(pages).toEqual([{ total: 120, damaged: 1, count: 50 }, { total: 120, count: 50 }, { total: 120, count: 19 }]);
    // A page whose every row is damaged still leads on (its cursor is the last row's).
    for (const id of newestFirst.slice(10, 13)) store.db.prepare("UPDATE runs SET info = '{}' WHERE id = ?").run(id);
    const small = pageAll(3);
    expect(small.seen).toEqual(newestFirst.filter((id, i) => i !== 9 && (i < 10 || i > 12)));
    expect(small.pages.some((p) => p.count === 0 && p.damaged === 4)).toBe(true);
    store.close();
  });

  it('refuses a data directory that is a file, and one it may not write, saying so', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'x');
    expect(() => new RunStore(join(dir, 'plain'))).toThrow(/MEMTIDE_DATA .*plain is a regular file, not a directory/);
    expect(() => new RunStore(join(dir, 'plain', 'below'))).toThrow(/plain\/below: a part of that path is a file/);
    if (process.getuid?.() !== 0) {
      // (root writes anywhere: test/store-hostile.test.ts checks a read-only mount instead)
      const locked = join(dir, 'locked');
      mkdirSync(locked, 0o555);
      chmodSync(locked, 0o555);
      expect(() => new RunStore(locked)).toThrow(/is not writable/);
    }
  });

  it('refuses a file that is not a memtide database without changing it', () => {
    const text = tempDir();
    writeFileSync(join(text, DATABASE_FILE), 'these are my notes, not a database\n'.repeat(200));
    expect(() => new RunStore(text)).toThrow(/memtide\.db is damaged or not a memtide database \(SQLITE_NOTADB.*memtide has not changed or deleted it.*\.recover/);
    const other = tempDir();
    const db = new Database(join(other, DATABASE_FILE));
    db.exec('CREATE TABLE accounts (id INTEGER)');
    db.close();
    const file = join(other, DATABASE_FILE);
    const before = readFileSync(file);
    expect([before[18], before[19]]).toEqual([1, 1]); // rollback journal, as that application left it (WAL would be 2, 2)
    expect(() => new RunStore(other)).toThrow(/an SQLite database, but not memtide's/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect([existsSync(`${file}-wal`), existsSync(`${file}-shm`), existsSync(`${file}-journal`)]).toEqual([false, false, false]);
  });

  it('files a watch under its verdict (a watch has no summary), and fills the column of watches stored before', () => {
    const dir = tempDir();
    const store = new RunStore(dir);
    const watch = record('watch-lx1-abc123', 1_700_000_001_000, {
      kind: 'watch', experiment: 'watch', runtime: 'other', params: { pid: 77 }, status: 'finished', error: undefined,
      watch: {
        target: { pid: 77, ppid: 1, uid: 0, comm: 'redis', command: 'redis-server', runtime: 'other', allocator: 'jemalloc', starttime: 5 },
        gdbProbes: { allowed: true }, durationS: 600, verdict: { verdict: 'retained by allocator', text: 'the allocator was holding it' },
      },
    } as Partial<RunRecord>);
    store.save(watch);
    store.save(record('r-1', 1_700_000_000_000, { status: 'finished', error: undefined, summary: summary(50, 'released') }));
    const found = (verdict: 'retained by allocator' | 'released') => {
      const s = spec({ verdict });
      return mergePage(s, store.page(s), []).runs.map((r) => r.id);
    };
    expect(found('retained by allocator')).toEqual(['watch-lx1-abc123']);
    expect(found('released')).toEqual(['r-1']);
    expect(matches(spec({ verdict: 'retained by allocator' }), store.info('watch-lx1-abc123')!)).toBe(true);
    // As an older memtide stored it: the column empty. The next open fills it.
    store.db.prepare("UPDATE runs SET verdict = NULL WHERE id = 'watch-lx1-abc123'").run();
    expect(found('retained by allocator')).toEqual([]);
    store.close();
    const reopened = new RunStore(dir);
    expect(reopened.db.prepare("SELECT verdict FROM runs WHERE id = 'watch-lx1-abc123'").pluck().get()).toBe('retained by allocator');
    reopened.close();
  });

  it('reads a page and its count, and a run\'s two rows, in one snapshot while another process writes', () => {
    const dir = tempDir();
    const store = new RunStore(dir);
    const other = new RunStore(dir);
    store.save(record('a-1'));
    // Another process commits right after the first statement of each read.
    const prepare = store.db.prepare.bind(store.db);
    let between: (() => void) | undefined;
    store.db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (sql.startsWith('SELECT id, info, created_at')) {
        const all = statement.all.bind(statement);
        statement.all = ((...params: unknown[]) => {
          const rows = all(...params);
          between?.();
          between = undefined;
          return rows;
        }) as typeof statement.all;
      }
      return statement;
    }) as typeof store.db.prepare;
    between = () => other.save(record('b-2', 1_700_000_001_000));
    const page = store.page(spec({}));
    expect([page.runs.map((r) => r.id), page.total]).toEqual([['a-1'], 1]);
    expect(store.page(spec({})).total).toBe(2);

    const statements = (store as unknown as { statements: { info: { get: (id: string) => unknown } } }).statements;
    const get = statements.info.get.bind(statements.info);
    statements.info.get = (id: string) => {
      const row = get(id);
      other.save({ ...record('a-1'), samples: [{ t: 1_700_000_000_002, rss: 1 }], error: 'second version' });
      return row;
    };
    const loaded = store.load('a-1')!;
    expect([loaded.error, loaded.samples.length]).toEqual(['cancelled by the user', 2]); // the first version whole
    store.close();
    other.close();
  });
});

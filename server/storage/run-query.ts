// One page of GET /api/runs as SQL, and the same filter and order in JS for the runs that live
// only in memory (running, queued, unsaved), so both can be merged into one page. Only values go
// into the statement as parameters; the SQL text comes from the fixed pieces below.
import type { RunListPage, RunListQuery, RunSort, SortOrder } from '../../shared/protocol/http.js';
import { RUN_LIST_LIMIT } from '../../shared/protocol/http.js';
import type { RunInfo } from '../../shared/run-record.js';
import { searchText, verdictOf } from './record-rows.js';

/** A position in one order: the sort key (null: a run without that figure) and the run id. */
export interface Cursor {
  sort: RunSort;
  order: SortOrder;
  key: number | null;
  id: string;
}

export interface PageSpec {
  limit: number;
  sort: RunSort;
  order: SortOrder;
  after?: Cursor;
  filter: Pick<RunListQuery, 'experiment' | 'runtime' | 'verdict' | 'status' | 'q'>;
}

export type SpecResult = { ok: true; spec: PageSpec } | { ok: false; error: string };

// "date.desc.1700000000123.456.run-id": readable in a log, and nothing to decode but numbers and an id.
const CURSOR = /^(date|overall)\.(desc|asc)\.(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|null)\.([a-z0-9][a-z0-9-]{0,63})$/;

export const encodeCursor = (c: Cursor): string => `${c.sort}.${c.order}.${c.key === null ? 'null' : String(c.key)}.${c.id}`;

export function decodeCursor(text: string): Cursor | undefined {
  const m = CURSOR.exec(text);
  if (!m) return undefined;
  const key = m[3] === 'null' ? null : Number(m[3]);
  if (key !== null && !Number.isFinite(key)) return undefined;
  return { sort: m[1] as RunSort, order: m[2] as SortOrder, key, id: m[4]! };
}

/** The page a checked query asks for; a `before` that is not a cursor of this order is an error. */
export function pageSpec(query: RunListQuery): SpecResult {
  const sort = query.sort ?? 'date';
  const order = query.order ?? 'desc';
  let after: Cursor | undefined;
  if (query.before !== undefined) {
    after = decodeCursor(query.before);
    if (!after) return { ok: false, error: 'query.before: not a cursor (pass the `next` of the page before)' };
    if (after.sort !== sort || after.order !== order) {
      return { ok: false, error: `query.before: a cursor of sort=${after.sort}&order=${after.order}, not of sort=${sort}&order=${order}` };
    }
    if (sort === 'date' && after.key === null) return { ok: false, error: 'query.before: not a cursor (a date cursor needs a time)' };
  }
  const { experiment, runtime, verdict, status, q } = query;
  return { ok: true, spec: { limit: query.limit ?? RUN_LIST_LIMIT.default, sort, order, after, filter: { experiment, runtime, verdict, status, q } } };
}

// Runs without an Overall sort after every run with one, in either order: their key is pushed past
// any percentage there can be.
const NO_FIGURE = 1e300;
const sortKeyOf = (sort: RunSort, order: SortOrder) => (sort === 'date' ? 'created_at' : `coalesce(overall_pct, ${order === 'desc' ? -NO_FIGURE : NO_FIGURE})`);
const numericKey = (c: Pick<Cursor, 'key' | 'order'>): number => c.key ?? (c.order === 'desc' ? -NO_FIGURE : NO_FIGURE);

export interface Sql {
  where: string;
  params: (string | number)[];
}

/** WHERE for the filters alone (what `total` counts). */
export function filterSql({ filter }: PageSpec): Sql {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [column, value] of [['experiment', filter.experiment], ['runtime', filter.runtime], ['verdict', filter.verdict], ['status', filter.status]] as const) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.q !== undefined) {
    parts.push('instr(search, ?) > 0');
    params.push(filter.q.toLowerCase());
  }
  return { where: parts.length ? parts.join(' AND ') : '1', params };
}

/** The page's statement: filters, the cursor, the order, limit + 1 rows (the extra one says "more"). */
export function pageSql(spec: PageSpec): Sql & { sql: string } {
  const { where, params } = filterSql(spec);
  const key = sortKeyOf(spec.sort, spec.order);
  const dir = spec.order === 'desc' ? 'DESC' : 'ASC';
  let cursor = '';
  if (spec.after) {
    cursor = ` AND (${key}, id) ${spec.order === 'desc' ? '<' : '>'} (?, ?)`;
    params.push(numericKey(spec.after), spec.after.id);
  }
  params.push(spec.limit + 1);
  // created_at and overall_pct too: the cursor past a damaged row (its info unreadable) comes from them.
  return { sql: `SELECT id, info, created_at, overall_pct FROM runs WHERE ${where}${cursor} ORDER BY ${key} ${dir}, id ${dir} LIMIT ?`, where, params };
}

// ---- the same in JS, for runs held in memory ----

const keyOf = (spec: Pick<PageSpec, 'sort' | 'order'>, run: RunInfo): number =>
  spec.sort === 'date' ? run.createdAt : numericKey({ key: run.summary?.overallPct ?? null, order: spec.order });

export function matches(spec: PageSpec, run: RunInfo): boolean {
  const { experiment, runtime, verdict, status, q } = spec.filter;
  return (experiment === undefined || run.experiment === experiment)
    && (runtime === undefined || run.runtime === runtime)
    && (verdict === undefined || verdictOf(run) === verdict)
    && (status === undefined || run.status === status)
    && (q === undefined || searchText(run).includes(q.toLowerCase()));
}

/** Negative when a comes first in the page's order (ids compare as SQLite's BINARY does for ASCII). */
export function compareRuns(spec: Pick<PageSpec, 'sort' | 'order'>, a: RunInfo, b: RunInfo): number {
  const ka = keyOf(spec, a);
  const kb = keyOf(spec, b);
  const byKey = ka === kb ? (a.id === b.id ? 0 : a.id < b.id ? -1 : 1) : ka < kb ? -1 : 1;
  return spec.order === 'desc' ? -byKey : byKey;
}

/** Past the cursor in the page's order. */
export function isAfter(spec: PageSpec, run: RunInfo): boolean {
  if (!spec.after) return true;
  const k = keyOf(spec, run);
  const c = numericKey(spec.after);
  const beyond = k === c ? (spec.order === 'desc' ? run.id < spec.after.id : run.id > spec.after.id) : spec.order === 'desc' ? k < c : k > c;
  return beyond;
}

export const cursorOf = (spec: Pick<PageSpec, 'sort' | 'order'>, run: RunInfo): Cursor => ({
  sort: spec.sort, order: spec.order, id: run.id,
  key: spec.sort === 'date' ? run.createdAt : (run.summary?.overallPct ?? null),
});

/** What the database gave for one page (RunStore.page). */
export interface DbPageRuns {
  /** The readable runs among the rows fetched (up to limit + 1). */
  runs: RunInfo[];
  /** Stored rows matching the filters, damaged ones included (shared/protocol/http.ts RunListPage, README's API table). */
  total: number;
  /** More rows than `limit` were fetched: there is a next page, even when damaged rows were dropped from this one. */
  more: boolean;
  /** Where the last fetched row stands in the order (a damaged one too): the cursor when nothing could be shown. */
  last?: Cursor;
  /** How many fetched rows were damaged and left out. */
  damagedCount: number;
}

/**
 * One page from the database's rows (up to limit + 1, after the cursor) and the runs only this
 * process holds (all that match the filters): merged in the page's order, `limit` of them. `next`
 * is decided by the rows fetched, not by those kept: a damaged row must not end the paging (the
 * next page starts after the last run shown and skips that row again).
 */
export function mergePage(spec: PageSpec, db: DbPageRuns, own: readonly RunInfo[]): RunListPage {
  const ownIds = new Set(own.map((r) => r.id));
  const merged = [...db.runs.filter((r) => !ownIds.has(r.id)), ...own.filter((r) => isAfter(spec, r))].sort((a, b) => compareRuns(spec, a, b));
  const runs = merged.slice(0, spec.limit);
  const last = runs.at(-1);
  const cursor = last ? cursorOf(spec, last) : db.last;
  const next = (merged.length > spec.limit || db.more) && cursor ? encodeCursor(cursor) : undefined;
  return { runs, total: db.total + own.length, ...(next && { next }), ...(db.damagedCount > 0 && { damaged: db.damagedCount }) };
}

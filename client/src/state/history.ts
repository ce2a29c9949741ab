// The history panel's part of the state: which page of GET /api/runs is on screen (filters, sort,
// the cursors that led there) and what it holds. Pure: asking for a page sets `loading`, the
// controller fetches it and answers with history-loaded / history-failed. Any run that ends, is
// stored or deleted makes the page on screen be asked for again, so its count and rows stay true
// for any number of runs without this page holding them all; a run that starts is put on the
// default first page in place (started()), and asks for any other page again.
import { RUN_LIST_LIMIT, type RunListPage, type RunListQuery, type RunSort, type SortOrder } from '../../../shared/protocol/http.js';
import type { RunInfo } from '../../../shared/run-record.js';

export type HistoryFilters = Pick<RunListQuery, 'experiment' | 'runtime' | 'verdict' | 'status' | 'q'>;

export interface HistoryView extends HistoryFilters {
  sort: RunSort;
  order: SortOrder;
}

/** A change to the view: '' clears a filter. */
export type ViewChange = { [K in keyof HistoryView]?: HistoryView[K] | '' };

export interface HistoryState {
  view: HistoryView;
  /** The `before` of every page from the first to this one ([] on the first page). */
  trail: readonly string[];
  runs: readonly RunInfo[];
  total: number;
  next?: string;
  /** A page asked for and not in yet. */
  loading?: number;
  seq: number;
  error?: string;
}

export type HistoryEvent =
  /** New filters or sort: back to the first page. Empty strings clear a filter. */
  | { type: 'history-view'; view: ViewChange }
  | { type: 'history-turn'; to: 'next' | 'previous' | 'first' }
  | { type: 'history-loaded'; seq: number; page: RunListPage }
  | { type: 'history-failed'; seq: number; error: string };

export const HISTORY_PAGE = RUN_LIST_LIMIT.default;
export const DEFAULT_VIEW: HistoryView = { sort: 'date', order: 'desc' };

export const initialHistory = (): HistoryState => ({ view: DEFAULT_VIEW, trail: [], runs: [], total: 0, seq: 0 });

/** The query of the page the history is on (or asks for). */
export function historyQuery(h: Pick<HistoryState, 'view' | 'trail'>): RunListQuery {
  const { view, trail } = h;
  const before = trail.at(-1);
  return { ...view, limit: HISTORY_PAGE, ...(before !== undefined && { before }) };
}

const isDefault = (h: HistoryState) => h.trail.length === 0 && JSON.stringify(h.view) === JSON.stringify(DEFAULT_VIEW);

/** Asks for the page the history is on, again. */
export const reload = (h: HistoryState): HistoryState => ({ ...h, seq: h.seq + 1, loading: h.seq + 1 });

/**
 * A run started: on the first page of the default view (newest first, no filter) it is the newest
 * run, so it goes on top here and now, and no page is asked for while its samples stream (the
 * fetch and the list's layout cost the page ~10 ms of main thread at the run's start, when the
 * worker's own start-up already has the cores busy: bench/frame-latency.ts). The page may hold one
 * row more than a page until the run's end reloads it; `next` stays right. Any other view reloads.
 */
export function started(h: HistoryState, run: RunInfo): HistoryState {
  if (!isDefault(h) || h.loading !== undefined) return reload(h);
  const had = h.runs.some((r) => r.id === run.id);
  return { ...h, runs: [run, ...h.runs.filter((r) => r.id !== run.id)], total: h.total + (had ? 0 : 1) };
}

/** The server said hello with its first page: taken as it is when that is the page on screen. */
export function historyFromHello(h: HistoryState, first: RunListPage, error?: string): HistoryState {
  if (!isDefault(h)) return reload(h);
  return { ...h, runs: first.runs, total: first.total, next: first.next, loading: undefined, error };
}

function setView(h: HistoryState, change: ViewChange): HistoryState {
  const view: HistoryView = { ...h.view };
  for (const [key, value] of Object.entries(change) as [keyof HistoryView, string | undefined][]) {
    if (value === undefined || value === '') delete view[key];
    else Object.assign(view, { [key]: value });
  }
  view.sort ??= DEFAULT_VIEW.sort;
  view.order ??= DEFAULT_VIEW.order;
  return reload({ ...h, view, trail: [] });
}

function turn(h: HistoryState, to: 'next' | 'previous' | 'first'): HistoryState {
  if (to === 'next') return h.next === undefined ? h : reload({ ...h, trail: [...h.trail, h.next] });
  if (h.trail.length === 0) return h;
  return reload({ ...h, trail: to === 'first' ? [] : h.trail.slice(0, -1) });
}

export function applyHistory(h: HistoryState, e: HistoryEvent): HistoryState {
  switch (e.type) {
    case 'history-view':
      return setView(h, e.view);
    case 'history-turn':
      return turn(h, e.to);
    case 'history-loaded':
      if (e.seq !== h.loading) return h; // overtaken by a later ask
      // A page that emptied (its runs deleted) falls back to the one before.
      if (e.page.runs.length === 0 && h.trail.length > 0) return reload({ ...h, trail: h.trail.slice(0, -1) });
      return { ...h, runs: e.page.runs, total: e.page.total, next: e.page.next, loading: undefined, error: undefined };
    case 'history-failed':
      return e.seq === h.loading ? { ...h, loading: undefined, error: e.error } : h;
  }
}

/** "51–100 of 10,000", or what is going on instead. */
export function countText(h: HistoryState): string {
  if (h.error) return `could not list runs: ${h.error}`;
  if (h.total === 0) return h.loading !== undefined ? 'loading…' : 'no runs';
  const first = h.trail.length * HISTORY_PAGE + 1;
  return `${first.toLocaleString()}–${(first + h.runs.length - 1).toLocaleString()} of ${h.total.toLocaleString()}`;
}

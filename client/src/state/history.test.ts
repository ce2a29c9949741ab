// The history's page state in Node: hello's first page, filters and turns ask for pages, late
// answers are dropped, and any run that ends makes the page on screen be asked for again.
import { describe, expect, it } from 'vitest';
import type { RunListPage } from '../../../shared/protocol/http.js';
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { RunInfo } from '../../../shared/run-record.js';
import { apply } from './apply.js';
import { initialState, type DashboardEvent, type DashboardState } from './dashboard-state.js';
import { countText, historyQuery } from './history.js';

const info = (id: string, createdAt = 1_700_000_000_000): RunInfo => ({
  id, experiment: 'seed-strings', runtime: 'node', params: { n: 1 }, status: 'finished', createdAt, knobs: {}, workerEnv: {},
  sampleHz: 1000, sampler: 'statm', summary: null,
});
const page = (n: number, total: number, next?: string): RunListPage => ({ runs: Array.from({ length: n }, (_, i) => info(`r-${i}`)), total, ...(next && { next }) });
const hello = (history: RunListPage): ServerMessage => ({ type: 'hello', version: '0', catalog: [], runs: [], history, unsaved: [] });
const fold = (s: DashboardState, events: DashboardEvent[]) => events.reduce(apply, s);

describe('history state', () => {
  it('shows the hello\'s first page as it is, then pages with the cursors it was given', () => {
    let s = apply(initialState(), hello(page(50, 120, 'date.desc.1.r-49')));
    expect(s.history).toMatchObject({ total: 120, next: 'date.desc.1.r-49', loading: undefined });
    expect(countText(s.history)).toBe('1–50 of 120');
    s = apply(s, { type: 'history-turn', to: 'next' });
    expect(historyQuery(s.history)).toEqual({ sort: 'date', order: 'desc', limit: 50, before: 'date.desc.1.r-49' });
    const seq = s.history.loading!;
    s = apply(s, { type: 'history-loaded', seq, page: page(50, 120, 'date.desc.0.r-99') });
    expect(countText(s.history)).toBe('51–100 of 120');
    expect(s.runs.has('r-0')).toBe(true); // known for compare and origin lookups
    s = fold(s, [{ type: 'history-turn', to: 'next' }, { type: 'history-loaded', seq: s.history.seq + 1, page: page(20, 120) }]);
    expect(countText(s.history)).toBe('101–120 of 120');
    expect(apply(s, { type: 'history-turn', to: 'next' })).toBe(s); // no next page: nothing to ask
    s = apply(s, { type: 'history-turn', to: 'previous' });
    expect(historyQuery(s.history).before).toBe('date.desc.1.r-49');
    s = apply(s, { type: 'history-turn', to: 'first' });
    expect(historyQuery(s.history).before).toBeUndefined();
  });

  it('a filter or sort goes back to the first page; an answer to an older ask is dropped', () => {
    let s = fold(initialState(), [hello(page(50, 120, 'c')), { type: 'history-turn', to: 'next' }]);
    const stale = s.history.loading!;
    s = apply(s, { type: 'history-view', view: { experiment: 'py-seed', sort: 'overall' } });
    expect(historyQuery(s.history)).toEqual({ experiment: 'py-seed', sort: 'overall', order: 'desc', limit: 50 });
    s = apply(s, { type: 'history-loaded', seq: stale, page: page(50, 120) });
    expect(s.history.loading).toBeDefined(); // still waiting for its own answer
    s = apply(s, { type: 'history-loaded', seq: s.history.loading!, page: page(7, 7) });
    expect(countText(s.history)).toBe('1–7 of 7');
    s = apply(s, { type: 'history-view', view: { experiment: '' } });
    expect(historyQuery(s.history)).toEqual({ sort: 'overall', order: 'desc', limit: 50 });
    s = apply(s, { type: 'history-failed', seq: s.history.loading!, error: 'query.q: too long' });
    expect(countText(s.history)).toBe('could not list runs: query.q: too long');
  });

  it('asks for the page on screen again when a run starts, ends, is stored or deleted — and a hello on another page too', () => {
    let s = apply(initialState(), hello(page(50, 120, 'c')));
    for (const m of [
      { type: 'run-finished', runId: 'x', run: info('x'), summary: undefined as never },
      { type: 'run-stored', run: info('y') },
      { type: 'run-deleted', runId: 'r-3' },
    ] as ServerMessage[]) {
      const before = s.history.seq;
      s = apply(s, m);
      expect(s.history.loading).toBe(before + 1);
    }
    expect(s.runs.has('r-3')).toBe(false);
    s = fold(s, [{ type: 'history-loaded', seq: s.history.loading!, page: page(50, 121, 'c') }, { type: 'history-turn', to: 'next' }, { type: 'history-loaded', seq: s.history.seq, page: page(1, 121) }]);
    // Reconnected while on page 2: the hello's first page is not that page, so it is asked for.
    s = apply(s, hello(page(50, 121, 'c')));
    expect(s.history.loading).toBe(s.history.seq);
    expect(historyQuery(s.history).before).toBe('c');
    // That page emptied meanwhile (its runs deleted): back to the one before.
    s = apply(s, { type: 'history-loaded', seq: s.history.loading!, page: { runs: [], total: 50 } });
    expect(historyQuery(s.history).before).toBeUndefined();
  });
});

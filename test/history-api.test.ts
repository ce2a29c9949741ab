// GET /api/runs over a real database of 120 runs: pages that add up to every run once, filters,
// sort by Overall, the running run merged in, the hello's first page, and every bad query → 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { RunStore } from '../server/storage/run-store.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { RunInfo, type RunRecord } from '../shared/run-record.js';
import { connectRecorder, listRuns, postJson, startTestServer, tempDataDir } from './helpers.js';
import { record, summary } from './store-fixtures.js';

const T0 = 1_700_000_000_000;
const VERDICTS = ['released', 'retained by allocator', 'still referenced', 'inconclusive'] as const;
const runs: RunRecord[] = Array.from({ length: 120 }, (_, i) => record(`h-${String(i).padStart(3, '0')}`, T0 + i * 60_000, {
  experiment: i % 3 === 0 ? 'py-seed' : 'seed-strings', runtime: i % 3 === 0 ? 'python' : 'node',
  status: i % 10 === 9 ? 'failed' : 'finished', error: i % 10 === 9 ? 'worker failed' : undefined,
  summary: i % 10 === 9 ? null : summary((i * 37) % 200 - 50, VERDICTS[i % 4]!),
  knobs: i % 7 === 0 ? { allocator: 'jemalloc' } : {},
}));

let app: RunningApp;
beforeAll(async () => {
  const dataDir = tempDataDir();
  const store = new RunStore(dataDir);
  store.db.transaction(() => runs.forEach((r) => store.save(r)))();
  store.close();
  app = await startTestServer({ dataDir });
});
afterAll(() => app?.close());

const ids = (list: { id: string }[]) => list.map((r) => r.id);
const newestFirst = [...runs].sort((a, b) => b.createdAt - a.createdAt);

describe('GET /api/runs', () => {
  it('without a query gives the plain array of every run, newest first, as it always did', async () => {
    const response = await fetch(`${app.url}/api/runs`);
    expect(response.status).toBe(200);
    const all = RunInfo.array().parse(await response.json());
    expect(ids(all)).toEqual(ids(newestFirst));
    expect(all[0]).not.toHaveProperty('samples');
    // Any paging or filter field gives the page instead; a bad one is refused the same way.
    expect(await (await fetch(`${app.url}/api/runs?limit=2`)).json()).toEqual({ runs: all.slice(0, 2), total: 120, next: expect.any(String) });
    expect((await fetch(`${app.url}/api/runs?limit=`)).status).toBe(400);
  });

  it('pages newest first, 50 by default, every run exactly once, with the total', async () => {
    const seen: string[] = [];
    let query = '';
    for (let page = 0; page < 10; page++) {
      const answer = await listRuns(app.url, query || '?sort=date');
      expect(answer.total).toBe(120);
      seen.push(...ids(answer.runs));
      if (!answer.next) break;
      query = `?before=${encodeURIComponent(answer.next)}`;
    }
    expect(seen).toEqual(ids(newestFirst));
    const all = await listRuns(app.url, '?limit=500');
    expect(all.runs).toHaveLength(120);
    expect(all.next).toBeUndefined();
  });

  it('filters by experiment, runtime, verdict, status and text, all together, and sorts by Overall', async () => {
    const want = newestFirst.filter((r) => r.experiment === 'py-seed' && r.summary?.verdict === 'released');
    const answer = await listRuns(app.url, '?experiment=py-seed&verdict=released&runtime=python&status=finished');
    expect(ids(answer.runs)).toEqual(ids(want));
    expect(answer.total).toBe(want.length);
    expect((await listRuns(app.url, '?q=JeMalloc&limit=500')).total).toBe(runs.filter((r) => r.knobs.allocator === 'jemalloc').length);
    expect((await listRuns(app.url, '?status=failed')).total).toBe(12);

    const byOverall = (await listRuns(app.url, '?sort=overall&limit=500')).runs;
    const figures = byOverall.filter((r) => r.summary).map((r) => r.summary!.overallPct);
    expect(figures).toEqual([...figures].sort((a, b) => b - a));
    expect(byOverall.slice(-12).every((r) => r.summary === null)).toBe(true);
    // Paging by Overall, ascending, meets every run once too.
    const first = await listRuns(app.url, '?sort=overall&order=asc&limit=70');
    const second = await listRuns(app.url, `?sort=overall&order=asc&limit=70&before=${encodeURIComponent(first.next!)}`);
    expect(new Set([...ids(first.runs), ...ids(second.runs)]).size).toBe(120);
    expect(second.next).toBeUndefined();
  });

  it('answers 400 naming the field for anything else, and runs no SQL it is sent', async () => {
    const cases: [string, RegExp][] = [
      ['?limit=0', /^query\.limit: must be an integer from 1 to 500/],
      ['?limit=501', /^query\.limit: must be an integer from 1 to 500/],
      ['?limit=ten', /^query\.limit: /],
      ['?limit=1&limit=2', /^query\.limit: /],
      ['?before=yesterday', /^query\.before: not a cursor/],
      [`?sort=overall&before=${encodeURIComponent('date.desc.1700000000000.h-001')}`, /^query\.before: a cursor of sort=date&order=desc, not of sort=overall&order=desc/],
      ['?runtime=ruby', /^query\.runtime: must be one of "node", "python"/],
      ['?verdict=leaky', /^query\.verdict: must be one of /],
      ['?status=done', /^query\.status: must be one of /],
      ['?sort=size', /^query\.sort: must be one of "date", "overall"/],
      ['?q=', /^query\.q: must be text of 1 to 200 characters/],
      ['?orderBy=id', /^query\.orderBy: unknown field/],
    ];
    for (const [query, error] of cases) {
      const response = await fetch(`${app.url}/api/runs${query}`);
      expect(response.status, query).toBe(400);
      expect((await response.json()).error, query).toMatch(error);
    }
    const injection = await listRuns(app.url, `?q=${encodeURIComponent("' OR 1=1; DROP TABLE runs; --")}&experiment=${encodeURIComponent("x' OR '1'='1")}`);
    expect(injection.total).toBe(0);
    expect((await listRuns(app.url)).total).toBe(120);
  });

  it('merges the running run into the page, and the hello carries it and the first page only', async () => {
    const ws = await connectRecorder(app.url);
    const hello = await ws.waitFor((m): m is Extract<ServerMessage, { type: 'hello' }> => m.type === 'hello');
    expect(hello.runs).toEqual([]);
    expect(ids(hello.history.runs)).toEqual(ids(newestFirst.slice(0, 50)));
    expect(hello.history.total).toBe(120);

    const { json } = await postJson(`${app.url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
    const page = await listRuns(app.url, '?limit=3');
    expect(page.runs[0]).toMatchObject({ id: json.id, status: 'running' });
    expect(page.total).toBe(121);
    expect((await listRuns(app.url, '?status=finished')).runs.some((r) => r.id === json.id)).toBe(false);
    expect((await (await fetch(`${app.url}/api/runs`)).json())[0]).toMatchObject({ id: json.id, status: 'running' });
    const late = await connectRecorder(app.url);
    const second = await late.waitFor((m): m is Extract<ServerMessage, { type: 'hello' }> => m.type === 'hello');
    expect(ids(second.runs)).toEqual([json.id]);
    late.close();
    await fetch(`${app.url}/api/runs/${json.id}/cancel`, { method: 'POST' });
    await ws.waitFor((m): m is ServerMessage => m.type === 'run-failed' && m.runId === json.id);
    ws.close();
  });
});

// The allocator matrix through the real server: one POST queues a run per setting (or none), each
// a normal stored run; the table matches the runs' own records; a restart finds the matrix again.
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { MATRIX_SETTINGS } from '../shared/matrix.js';
import { CreateMatrixAnswer, MatrixAnswer, MatrixListAnswer } from '../shared/protocol/http.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { RunInfo, RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, postJson, startTestServer, tempDataDir } from './helpers.js';

const apps: RunningApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});
const start = async (options: Parameters<typeof startTestServer>[0]) => {
  const app = await startTestServer(options);
  apps.push(app);
  return app;
};
const getJson = async (url: string) => (await fetch(url)).json() as Promise<unknown>;
type MatrixMessage = Extract<ServerMessage, { type: 'matrix' }>;

describe('POST /api/matrices', () => {
  it('runs the experiment under every setting and tabulates it; a restart finds it again', async () => {
    const dataDir = tempDataDir();
    const app = await start({ dataDir });
    const ws = await connectRecorder(app.url);
    const created = await postJson(`${app.url}/api/matrices`, { experiment: 'seed-strings', params: { n: 200_000 }, settleMs: 200, sampleHz: 200 });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const answer = CreateMatrixAnswer.parse(created.json);
    expect(answer.skipped).toEqual([]); // libjemalloc2 and koffi are installed where the tests run
    expect(answer.runs.map((r) => [r.setting, r.status, r.position])).toEqual([
      ['glibc', 'running', undefined], ['glibc + trim', 'queued', 1], ['jemalloc', 'queued', 2], ['jemalloc decay 0', 'queued', 3],
    ]);
    for (const run of answer.runs) await ws.waitFor(isRunEnd(run.id));

    const table = MatrixAnswer.parse(await getJson(`${app.url}/api/matrices/${answer.id}`));
    expect(table).toMatchObject({ id: answer.id, experiment: 'seed-strings', runtime: 'node', params: { n: 200_000 }, settleMs: 200 });
    for (const [i, row] of table.rows.entries()) {
      const record = RunRecord.parse(await getJson(`${app.url}/api/runs/${row.runId}`));
      const setting = MATRIX_SETTINGS[i]!;
      // Each a normal stored run under its setting's knobs, tagged with the matrix.
      expect(record).toMatchObject({ id: answer.runs[i]!.id, status: 'finished', knobs: setting.knobs, matrixId: answer.id, matrixSetting: setting.name, settleMs: 200 });
      expect(record.mallocLibrary).toBe(setting.name.startsWith('jemalloc') ? 'jemalloc' : 'glibc');
      const s = record.summary!;
      const allocate = record.phases.find((p) => p.name === 'allocate')!;
      expect(row).toMatchObject({
        setting: setting.name, status: 'finished', baseline: s.mem0, peak: s.peak, afterCollect: s.mem3, afterSettle: s.mem4,
        kept: s.mem4 - s.mem0, verdict: s.verdict, allocateMs: allocate.end! - allocate.start,
      });
    }
    const kept = table.rows.map((r) => r.kept!);
    expect(table.rows.filter((r) => r.best).map((r) => r.kept)).toEqual([Math.min(...kept)]);

    // Every client saw the table fill in: the last `matrix` event is the table as it ended.
    const events = ws.messages.filter((m): m is MatrixMessage => m.type === 'matrix' && m.matrix.id === answer.id);
    expect(events.length).toBeGreaterThanOrEqual(answer.runs.length + 1);
    expect(events.at(-1)!.matrix).toEqual(table);
    // Each event has every setting's run, including the one starting as it is sent: a 5-setting
    // matrix once said "1 of 4 settings done" at a run's start, before that run counted as active.
    for (const event of events) expect(event.matrix.runs.map((r) => r.runId)).toEqual(answer.runs.map((r) => r.id));
    expect(MatrixListAnswer.parse(await getJson(`${app.url}/api/matrices`)).map((m) => m.id)).toEqual([answer.id]);
    ws.close();

    // Nothing but the runs is stored: a new server on the same data finds the same matrix.
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const again = await start({ dataDir });
    expect(MatrixAnswer.parse(await getJson(`${again.url}/api/matrices/${answer.id}`))).toEqual(table);
    const hello = await connectRecorder(again.url);
    const first = await hello.waitFor((m): m is Extract<ServerMessage, { type: 'hello' }> => m.type === 'hello');
    expect(first.matrices!.map((m) => [m.id, m.runs.length])).toEqual([[answer.id, 4]]);
    hello.close();
  });

  it('refuses the whole matrix with 429 when it would not fit in the queue: never half a matrix', async () => {
    const app = await start({ maxQueue: 2 });
    const full = await postJson(`${app.url}/api/matrices`, { experiment: 'seed-strings', params: { n: 1000 } });
    expect(full.status).toBe(429);
    expect(full.json.error).toBe('the queue has room for 3 of these 4 runs (at most 2 wait): wait for runs to end or cancel some; none was queued');
    expect(RunInfo.array().parse(await getJson(`${app.url}/api/runs`))).toEqual([]);
    expect(await getJson(`${app.url}/api/matrices`)).toEqual([]);
  });

  it.each([
    [{ experiment: 'seed-strings', knobs: { trim: true } }, 400, 'knobs: unknown field'],
    [{ experiment: 'seed-strings', params: { n: 1 } }, 400, 'params.n: must be between 1000 and 50000000, got 1'],
  ])('%j → %i, nothing queued', async (body, status, error) => {
    const app = apps.at(-1)!;
    const answer = await postJson(`${app.url}/api/matrices`, body);
    expect([answer.status, answer.json]).toEqual([status, { error }]);
    expect(await getJson(`${app.url}/api/runs`)).toEqual([]);
  });

  it('an unknown matrix is a 404, a malformed id a 400', async () => {
    const app = apps.at(-1)!;
    expect((await fetch(`${app.url}/api/matrices/no-such`)).status).toBe(404);
    const bad = await fetch(`${app.url}/api/matrices/..%2Fx`);
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'id: "../x" is not a matrix id (a-z, 0-9, -)' }]);
  });
});

// Runs asked for while one runs wait in a bounded queue, in order, each cancellable; two runs
// never sample into each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, postJson, startTestServer, listRuns } from './helpers.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startTestServer({ maxQueue: 2 });
});
afterAll(async () => {
  await app?.close();
});

const getRun = async (id: string) => RunRecord.parse(await (await fetch(`${app.url}/api/runs/${id}`)).json());
const cancel = (id: string) => fetch(`${app.url}/api/runs/${id}/cancel`, { method: 'POST' });
type QueueMessage = Extract<ServerMessage, { type: 'queue' }>;

describe('the run queue', () => {
  it('queues with positions, refuses when full, cancels queued and running runs, then runs the next', async () => {
    const ws = await connectRecorder(app.url);
    const long = await postJson(`${app.url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
    expect(long.json).toMatchObject({ status: 'running' });
    const second = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 1_000_000 } });
    const third = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 1_000_000 } });
    expect([second.json.position, third.json.position]).toEqual([1, 2]);
    expect(await getRun(third.json.id)).toMatchObject({ status: 'queued', queuePosition: 2 });

    const full = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings' });
    expect(full.status).toBe(429);
    expect(full.json.error).toMatch(/^the queue is full \(2 runs waiting\)/);

    const list = (await listRuns(app.url)).runs;
    expect(list.map((r) => [r.status, r.queuePosition])).toEqual([['queued', 2], ['queued', 1], ['running', undefined]]);

    // Cancelling the first in line moves the other up, and tells every client.
    expect((await cancel(second.json.id)).status).toBe(200);
    const moved = await ws.waitFor((m): m is QueueMessage => m.type === 'queue' && m.runs.length === 1 && m.runs[0]!.id === third.json.id);
    expect(moved.runs[0]!.queuePosition).toBe(1);
    expect(await getRun(second.json.id)).toMatchObject({ status: 'cancelled', error: 'cancelled by the user while queued', samples: [] });

    // Cancelling the running one starts the queued one.
    await ws.waitFor((m): m is ServerMessage => m.type === 'phase' && m.runId === long.json.id && m.phase === 'allocate');
    expect((await cancel(long.json.id)).status).toBe(200);
    expect((await ws.waitFor(isRunEnd(long.json.id))).run.status).toBe('cancelled');
    expect((await ws.waitFor(isRunEnd(third.json.id))).type).toBe('run-finished');

    // One run at a time: each sampled only its own worker, and only while it ran.
    const [first, next] = [await getRun(long.json.id), await getRun(third.json.id)];
    expect(first.pid).not.toBe(next.pid);
    expect(first.samples.at(-1)!.t).toBeLessThanOrEqual(first.endedAt!);
    expect(next.samples[0]!.t).toBeGreaterThanOrEqual(first.endedAt!);
    const starts = ws.messages.filter((m) => m.type === 'run-started').map((m) => m.type === 'run-started' && m.run.id);
    expect(starts).toEqual([long.json.id, third.json.id]);
    ws.close();
  });

  it('cancel of an ended or unknown run', async () => {
    const runs = (await listRuns(app.url)).runs;
    expect((await cancel(runs.find((r) => r.status === 'finished')!.id)).status).toBe(200);
    expect((await listRuns(app.url)).runs).toEqual(runs);
    expect((await cancel('no-such-run')).status).toBe(404);
  });
});

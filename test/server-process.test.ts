// The built server as a real process: signals kill every worker, kill -9 loses no stored run, and
// binding beyond loopback needs a token.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, listRuns, postJson, tempDataDir } from './helpers.js';
import { childPids, isAlive, killLeftoverServers, spawnServer, waitUntil, type ServerProcess } from './server-process.js';

afterEach(killLeftoverServers);

const getRun = async (url: string, id: string) => RunRecord.parse(await (await fetch(`${url}/api/runs/${id}`)).json());
type Started = Extract<ServerMessage, { type: 'run-started' }>;

/** Starts a long run and resolves with its worker's pid once it is allocating. */
async function startLongRun(server: ServerProcess) {
  const ws = await connectRecorder(server.url);
  const { json } = await postJson(`${server.url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
  const started = await ws.waitFor((m): m is Started => m.type === 'run-started' && m.run.id === json.id);
  await ws.waitFor((m): m is ServerMessage => m.type === 'phase' && m.runId === json.id && m.phase === 'allocate');
  return { ws, id: json.id as string, pid: started.run.pid! };
}

describe('shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s kills every worker, leaves no orphan, and stores the runs as cancelled', async (signal) => {
    const dir = tempDataDir();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const { ws, id, pid } = await startLongRun(server);
    const queued = await postJson(`${server.url}/api/runs`, { experiment: 'seed-strings' });
    expect(queued.json.status).toBe('queued');
    const children = childPids(server.pid);
    expect(children).toContain(pid);

    server.child.kill(signal);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // The server waited for its worker, so no child outlives it (none is left to be reparented).
    for (const child of children) expect(isAlive(child), `child ${child}`).toBe(false);
    ws.close();

    const again = await spawnServer({ MEMTIDE_DATA: dir });
    const { runs } = await listRuns(again.url);
    expect(runs.map((r) => [r.id, r.status, r.error])).toEqual([
      [queued.json.id, 'cancelled', 'cancelled: the server shut down before it started'],
      [id, 'cancelled', 'cancelled: the server shut down'],
    ]);
    again.child.kill('SIGTERM');
    await again.exited;
  });
});

describe('persistence', () => {
  it('kill -9 mid-run: every ended run comes back with identical records, a corrupt file is skipped', async () => {
    const dir = tempDataDir();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const ws = await connectRecorder(server.url);
    const ended: string[] = [];
    for (const body of [
      { experiment: 'seed-strings', params: { n: 1_000_000 } }, // finished
      { experiment: 'big-buffers', params: { n: 1024 }, memoryCapMiB: 100 }, // failed: memory cap
      { experiment: 'unique-strings', params: { n: 200_000 } }, // finished
    ]) {
      const { json } = await postJson(`${server.url}/api/runs`, body);
      await ws.waitFor(isRunEnd(json.id));
      ended.push(json.id);
    }
    const before = (await listRuns(server.url)).runs;
    expect(before.map((r) => r.status)).toEqual(['finished', 'failed', 'finished']);
    expect(before.filter((r) => r.status === 'finished').every((r) => r.summary !== null)).toBe(true);
    const records = await Promise.all(ended.map((id) => getRun(server.url, id)));
    ws.close();

    const { pid: workerPid } = await startLongRun(server);
    server.child.kill('SIGKILL');
    expect((await server.exited).signal).toBe('SIGKILL');
    // Orphaned, the worker dies at its next report: the pipe to the server is gone (EPIPE).
    await waitUntil(() => !isAlive(workerPid), `orphaned worker ${workerPid} exits`);

    writeFileSync(join(dir, 'broken-1.json'), JSON.stringify(records[0]).slice(0, 100));
    const again = await spawnServer({ MEMTIDE_DATA: dir });
    expect(again.output()).toMatch(/memtide: skipped broken-1\.json in .*: /);
    expect((await listRuns(again.url)).runs).toEqual(before);
    for (const record of records) expect(await getRun(again.url, record.id)).toEqual(record);
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    again.child.kill('SIGTERM');
    await again.exited;
  });
});

describe('network exposure', () => {
  const TOKEN = 'test-token-0123456789';

  it('refuses to listen beyond loopback without MEMTIDE_TOKEN', async () => {
    const refused = spawnServer({ HOST: '0.0.0.0', MEMTIDE_DATA: tempDataDir() });
    await expect(refused).rejects.toMatchObject({ code: 1, output: expect.stringMatching(/could not start: HOST=0\.0\.0\.0 .*MEMTIDE_TOKEN/) });
  });

  it('refuses bad settings with the name of the variable', async () => {
    await expect(spawnServer({ PORT: 'http' })).rejects.toMatchObject({ code: 2, output: expect.stringMatching(/PORT must be an integer/) });
    await expect(spawnServer({ MEMTIDE_MEMORY_CAP_MIB: '1' })).rejects.toMatchObject({ output: expect.stringMatching(/MEMTIDE_MEMORY_CAP_MIB: must be between 64/) });
  });

  it('with HOST=0.0.0.0 and a token, every HTTP call and the WebSocket need it', async () => {
    const server = await spawnServer({ HOST: '0.0.0.0', MEMTIDE_TOKEN: TOKEN, MEMTIDE_DATA: tempDataDir() });
    const { url } = server;
    for (const path of ['/api/health', '/api/runs', '/']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(401);
      expect((await response.json()).error).toMatch(/^token: missing/);
    }
    const post = await postJson(`${url}/api/runs`, { experiment: 'seed-strings' });
    expect(post.status).toBe(401);
    expect((await fetch(`${url}/api/health`, { headers: { 'x-memtide-token': 'wrong-token-0123456789' } })).status).toBe(401);

    expect((await fetch(`${url}/api/health`, { headers: { 'x-memtide-token': TOKEN } })).status).toBe(200);
    expect((await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const page = await fetch(`${url}/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^memtide_token=.*; HttpOnly; SameSite=Strict/);
    // The page's own assets load with the cookie the page set.
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())![1];
    expect((await fetch(`${url}${asset}`)).status).toBe(401);
    expect((await fetch(`${url}${asset}`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    expect(await (await fetch(`${url}/api/runs?token=${TOKEN}`)).json()).toEqual([]); // the refused POST created nothing

    const refused = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(401);
    const ws = await connectRecorder(`${url}`, `?token=${TOKEN}`);
    expect((await ws.waitFor((m): m is ServerMessage => m.type === 'hello')).type).toBe('hello');
    ws.close();
    server.child.kill('SIGTERM');
    await server.exited;
  });
});

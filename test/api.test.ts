// The HTTP + WebSocket contract, against a real server, real workers and a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { VERSION } from '../server/version.js';
import { Experiment } from '../shared/catalog/experiment.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, postJson, startTestServer, listRuns } from './helpers.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startTestServer();
});
afterAll(async () => {
  await app?.close();
});


describe('HTTP API', () => {
  it('GET /api/health', async () => {
    const json = await (await fetch(`${app.url}/api/health`)).json();
    expect(json).toEqual({ ok: true, version: VERSION });
  });

  it('GET /api/experiments lists the catalog with bounded params', async () => {
    const list = Experiment.array().parse(await (await fetch(`${app.url}/api/experiments`)).json());
    expect(list.map((e) => e.id)).toEqual(expect.arrayContaining(['seed-strings', 'unique-strings', 'small-objects', 'big-buffers', 'small-buffers', 'fragmentation']));
    for (const e of list) for (const p of e.params) expect(p.min <= p.default && p.default <= p.max).toBe(true);
  });

  it('serves the page with the catalog in it, as a data block in place of its preload, at / and at any client route', async () => {
    const catalog = await (await fetch(`${app.url}/api/experiments`)).json();
    for (const path of ['/', '/index.html', '/runs/some-deep-link']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const html = await response.text();
      const blocks = [...html.matchAll(/<script type="application\/json" id="memtide-catalog">([^<]*)<\/script>/g)];
      expect(blocks).toHaveLength(1);
      expect(JSON.parse(blocks[0]![1]!)).toEqual(catalog);
      expect(html).not.toContain('rel="preload" href="/api/experiments"');
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/); // the built page, not a stand-in
    }
  });

  it.each([
    [{ experiment: 'nope' }, /^experiment: unknown experiment/],
    [{ experiment: 'seed-strings', params: { n: 0 } }, /^params\.n: /],
    [{ experiment: 'seed-strings', params: { x: 1 } }, /^params\.x: unknown parameter/],
    [{ params: {} }, /^experiment: /],
    [[1, 2], /^body: must be a JSON object/],
  ])('POST /api/runs %j → 400 naming the field', async (body, message) => {
    const before = await (await fetch(`${app.url}/api/runs`)).json();
    const { status, json } = await postJson(`${app.url}/api/runs`, body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
    expect(await (await fetch(`${app.url}/api/runs`)).json()).toEqual(before);
  });

  it('quotes at most ~80 characters of a bad value, once', async () => {
    const nuls = await postJson(`${app.url}/api/runs`, { experiment: '\u0000'.repeat(10_000) }); // a 60 KB body
    expect(nuls.status).toBe(400);
    expect(nuls.json.error).toBe(`experiment: unknown experiment "${'\\u0000'.repeat(13)}…`);
    const knob = await postJson(`${app.url}/api/runs`, { experiment: 'py-seed', knobs: { ['k'.repeat(50_000)]: 1 } });
    expect([knob.status, knob.json.error]).toEqual([400, `knobs.${'k'.repeat(39)}…: unknown field`]);
    const huge = await postJson(`${app.url}/api/runs`, { experiment: 'py-seed', knobs: { mallocTrimThreshold: 1e308 } });
    expect([huge.status, huge.json.error]).toEqual([400, 'knobs.mallocTrimThreshold: must be an integer from 0 to 1099511627776']);
  });

  it('rejects a body that is not JSON, or too large, with a JSON error', async () => {
    const bad = await fetch(`${app.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/^body: not valid JSON/);
    const big = await fetch(`${app.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment: 'x'.repeat(600_000) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatch(/^body: larger than/);
  });

  it('404s for unknown runs, 400s for path tricks', async () => {
    const unknown = await fetch(`${app.url}/api/runs/nope`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatch(/^id: no run/);
    for (const id of ['..%2F..%2Fetc', 'A'.repeat(80), '.hidden']) {
      const r = await fetch(`${app.url}/api/runs/${id}`);
      expect(r.status).toBe(400);
      expect((await r.json()).error).toMatch(/^id: .* is not a run id/);
    }
  });
});

describe('a run end to end', () => {
  it('POST /api/runs streams samples and run-finished over /ws; GET returns the same summary', async () => {
    const ws = await connectRecorder(app.url);
    const hello = await ws.waitFor((m): m is Extract<ServerMessage, { type: 'hello' }> => m.type === 'hello');
    expect(hello.catalog.length).toBeGreaterThanOrEqual(6);

    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 3_000_000 } });
    expect(status).toBe(201);
    const id: string = json.id;

    expect(json.status).toBe('running');
    // A second run waits in the queue; cancelled there, it never starts.
    const queued = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings' });
    expect(queued).toEqual({ status: 201, json: { id: expect.stringMatching(/^[a-z0-9]+-[0-9a-f]{6}$/), status: 'queued', position: 1 } });
    expect((await fetch(`${app.url}/api/runs/${queued.json.id}/cancel`, { method: 'POST' })).status).toBe(200);
    expect((await ws.waitFor(isRunEnd(queued.json.id))).run.status).toBe('cancelled');

    const end = await ws.waitFor(isRunEnd(id));
    expect([end.type, end.run.status]).toEqual(['run-finished', 'finished']);
    const samples = ws.messages.filter((m) => m.type === 'samples' && m.runId === id);
    expect(samples.length).toBeGreaterThan(5);
    expect(ws.messages.some((m) => m.type === 'heap' && m.runId === id)).toBe(true);
    expect(ws.messages.filter((m) => m.type === 'phase' && m.runId === id)).toHaveLength(10);
    ws.close();

    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${id}`)).json());
    expect(record.status).toBe('finished');
    expect(end.type === 'run-finished' && end.summary).toEqual(record.summary);
    // Samples on the socket are exactly the record's samples.
    expect(samples.flatMap((m) => (m.type === 'samples' ? m.samples : []))).toEqual(record.samples);
    expect(record.summary!.mem1).toBeGreaterThan(record.summary!.mem0 + 15 * 2 ** 20); // 3e6 × 8 B ≈ 23 MiB

    const list = (await listRuns(app.url)).runs;
    expect(list.map((r) => [r.id, r.status])).toEqual([[queued.json.id, 'cancelled'], [id, 'finished']]);
  });

  it('cancel kills the worker and ends the run as cancelled', async () => {
    const ws = await connectRecorder(app.url);
    const { json } = await postJson(`${app.url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
    await ws.waitFor((m): m is ServerMessage => m.type === 'phase' && m.runId === json.id && m.phase === 'allocate');
    const cancel = await fetch(`${app.url}/api/runs/${json.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const end = await ws.waitFor(isRunEnd(json.id));
    expect([end.type, end.run.status, end.type === 'run-failed' && end.error]).toEqual(['run-failed', 'cancelled', 'cancelled by the user']);
    const pid = end.run.pid!;
    expect(() => process.kill(pid, 0)).toThrow();
    ws.close();
  });

  it('closes a socket that sends a frame outside the contract', async () => {
    const ws = await connectRecorder(app.url);
    const closed = new Promise<number>((resolve) => ws.socket.once('close', (code) => resolve(code)));
    ws.socket.send(JSON.stringify({ type: 'launch-missiles' }));
    expect(await closed).toBe(1008);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
  });
});

// The custom-code API around the runs: bad shapes answer 400 naming the field, the code policy
// refuses runs with 403 and the reason (MEMTIDE_ALLOW_CODE=0; a non-loopback request without a
// token), and saved experiments are created, listed, read, updated and deleted, on disk.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { codePolicy } from '../server/code-policy.js';
import { createHttpApp } from '../server/http-api.js';
import { RunRegistry } from '../server/run-registry.js';
import { CustomStore } from '../server/storage/custom-store.js';
import { RunStore } from '../server/storage/run-store.js';
import { CustomExperimentsAnswer } from '../shared/protocol/http.js';
import { postJson, startTestServer, tempDataDir } from './helpers.js';

let app: RunningApp;
let noCode: RunningApp;
const dataDir = tempDataDir();
beforeAll(async () => {
  app = await startTestServer({ dataDir });
  noCode = await startTestServer({ allowCode: false });
});
afterAll(async () => {
  await app?.close();
  await noCode?.close();
});

const send = async (url: string, method: string, body?: unknown) => {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
};

describe('POST /api/runs with experiment "custom"', () => {
  it.each([
    [{ experiment: 'custom', code: { allocate: 'foo = 1' } }, 'runtime: required with experiment "custom": "python" or "node"'],
    [{ experiment: 'custom', runtime: 'node' }, 'code: required with experiment "custom": { allocate, setup?, unreference? }'],
    [{ experiment: 'custom', runtime: 'node', code: {} }, 'code.allocate: must be a string of code'],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: '  ' } }, 'code.allocate: must not be empty: allocate is the code whose memory is measured'],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: 'x', teardown: 'y' } }, 'code.teardown: unknown field'],
    [{ experiment: 'custom', runtime: 'ruby', code: { allocate: 'x' } }, /^runtime: /],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: 'x'.repeat(64 * 1024 + 1) } }, 'code.allocate: must be at most 64 KiB of UTF-8, got 65,537 bytes'],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: 'x', setup: 'é'.repeat(32 * 1024 + 1) } }, 'code.setup: must be at most 64 KiB of UTF-8, got 65,538 bytes'],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: 'x' }, params: { n: 1 } }, /^params\.n: unknown parameter for custom/],
    [{ experiment: 'custom', runtime: 'node', code: { allocate: 'x' }, knobs: { pythonMalloc: 'malloc' } }, 'knobs.pythonMalloc: only for python experiments'],
    [{ experiment: 'seed-strings', code: { allocate: 'x' } }, 'code: only with experiment "custom"'],
    [{ experiment: 'seed-strings', runtime: 'node' }, 'runtime: only with experiment "custom"'],
  ])('%j → 400 naming the field', async (body, error) => {
    const { status, json } = await postJson(`${app.url}/api/runs`, body);
    expect(status).toBe(400);
    if (typeof error === 'string') expect(json.error).toBe(error);
    else expect(json.error).toMatch(error);
  });

  it('with MEMTIDE_ALLOW_CODE=0: 403 with the reason, and the card is told why; built-in runs still go', async () => {
    const { status, json } = await postJson(`${noCode.url}/api/runs`, { experiment: 'custom', runtime: 'node', code: { allocate: 'let foo = 1' } });
    expect([status, json.error]).toEqual([403, 'code: MEMTIDE_ALLOW_CODE=0: this server does not run user code']);
    const answer = CustomExperimentsAnswer.parse((await send(`${noCode.url}/api/experiments/custom`, 'GET')).json);
    expect(answer.code).toEqual({ allowed: false, reason: 'MEMTIDE_ALLOW_CODE=0: this server does not run user code' });
    expect((await fetch(`${noCode.url}/api/runs`)).status).toBe(200);
    expect((await send(`${app.url}/api/experiments/custom`, 'GET')).json.code).toEqual({ allowed: true });
  });

  it('a server bound beyond loopback refuses user code without a token (at start, and per request)', async () => {
    expect(codePolicy({ host: '0.0.0.0' })).toEqual({ allowed: false, reason: 'the server listens on 0.0.0.0 without MEMTIDE_TOKEN: user code runs only on loopback, or with a token' });
    expect(codePolicy({ host: '0.0.0.0', token: 't'.repeat(16) })).toEqual({ allowed: true });
    // The HTTP app wired as if the policy had let it through, reached on this machine's own
    // non-loopback address: the request's arrival address alone refuses the code.
    const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(address, 'this machine needs a non-loopback IPv4 address for this test').toBeDefined();
    const dir = tempDataDir();
    const registry = new RunRegistry({ events: { send: () => undefined, samples: () => undefined, watching: () => false }, store: new RunStore(dir) });
    const server = createServer(createHttpApp(registry, {}, {}, [], { store: new CustomStore(dir), policy: { allowed: true } }));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { status, json } = await postJson(`http://${address}:${port}/api/runs`, { experiment: 'custom', runtime: 'node', code: { allocate: 'let foo = 1' } });
      expect(status).toBe(403);
      expect(json.error).toBe(`code: this request came in on ${address}, not loopback, and the server has no MEMTIDE_TOKEN: user code is refused`);
      expect(registry.list()).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('/api/experiments/custom', () => {
  const base = () => `${app.url}/api/experiments/custom`;
  const body = { name: 'Map of 10⁶', runtime: 'node', code: { allocate: 'let foo = new Map();\nfor (let i = 0; i < 1e6; i++) foo.set(i, {i});' }, knobs: { trim: true } };

  it('creates, lists, reads, updates and deletes, and keeps them across a restart', async () => {
    const created = await send(base(), 'POST', body);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ...body, id: expect.stringMatching(/^[a-z0-9-]+$/) });
    const id = created.json.id as string;
    expect((await send(`${base()}/${id}`, 'GET')).json).toEqual(created.json);
    const updated = await send(`${base()}/${id}`, 'PUT', { ...body, name: 'renamed' });
    expect([updated.status, updated.json.name, updated.json.createdAt]).toEqual([200, 'renamed', created.json.createdAt]);
    expect(CustomExperimentsAnswer.parse((await send(base(), 'GET')).json).experiments.map((e) => e.name)).toEqual(['renamed']);
    // Stored with the runs: a new store on the same directory reads it back.
    expect(new CustomStore(dataDir).get(id)?.name).toBe('renamed');
    expect((await send(`${base()}/${id}`, 'DELETE')).json).toEqual({ ok: true });
    expect((await send(`${base()}/${id}`, 'GET')).status).toBe(404);
    expect(new CustomStore(dataDir).list()).toEqual([]);
  });

  it.each([
    [{ ...body, name: '' }, 'name: must not be empty'],
    [{ ...body, runtime: undefined }, /^runtime: /],
    [{ ...body, code: { setup: 'x' } }, 'code.allocate: must be a string of code'],
    [{ ...body, knobs: { pythonMalloc: 'malloc' } }, 'knobs.pythonMalloc: only for python experiments'],
    [{ ...body, extra: 1 }, 'extra: unknown field'],
  ])('%j → 400 naming the field', async (bad, error) => {
    const { status, json } = await send(base(), 'POST', bad);
    expect(status).toBe(400);
    if (typeof error === 'string') expect(json.error).toBe(error);
    else expect(json.error).toMatch(error);
  });

  it('404s for an unknown id, 400s for a malformed one', async () => {
    expect((await send(`${base()}/nope`, 'PUT', body)).status).toBe(404);
    expect((await send(`${base()}/nope`, 'DELETE')).status).toBe(404);
    expect((await send(`${base()}/NOPE!`, 'GET')).status).toBe(400);
  });
});

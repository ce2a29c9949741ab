// The custom-code API around the runs: bad shapes answer 400 naming the field, the code policy
// refuses runs with 403 and the reason (MEMTIDE_ALLOW_CODE=0; a non-loopback request without a
// token), and saved experiments are created, listed, read, updated and deleted in the run
// database, kept across a restart, imported once from the old files, and a full disk said.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { codePolicy } from '../server/code-policy.js';
import { createHttpApp } from '../server/http-api.js';
import { RunRegistry } from '../server/run-registry.js';
import { CUSTOM_DIR, CustomStore } from '../server/storage/custom-store.js';
import { RunStore } from '../server/storage/run-store.js';
import { CustomExperimentsAnswer } from '../shared/protocol/http.js';
import { postJson, startTestServer, tempDataDir } from './helpers.js';
import { cannotMount, fillDisk, mountTmpfs, unmount } from './mounts.js';

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
    const store = new RunStore(dir);
    const registry = new RunRegistry({ events: { send: () => undefined, samples: () => undefined, watching: () => false }, store });
    const server = createServer(createHttpApp(registry, {}, {}, [], { store: new CustomStore(store), policy: { allowed: true } }));
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
    // Stored with the runs: another connection to the same database (another process) reads it.
    const reader = new RunStore(dataDir, { readonly: true });
    expect(new CustomStore(reader).get(id)).toEqual(updated.json);
    expect(reader.db.prepare('SELECT name, runtime FROM custom_experiments').all()).toEqual([{ name: 'renamed', runtime: 'node' }]);
    expect((await send(`${base()}/${id}`, 'DELETE')).json).toEqual({ ok: true });
    expect((await send(`${base()}/${id}`, 'GET')).status).toBe(404);
    expect((await send(`${base()}/${id}`, 'DELETE')).status).toBe(404);
    expect(new CustomStore(reader).list()).toEqual([]);
    reader.close();
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

describe('saved experiments across server starts', () => {
  const body = { name: 'three lines', runtime: 'python', code: { allocate: 'foo = [0] * 10**6' } };
  const mounted: string[] = [];
  afterAll(() => {
    for (const dir of mounted.splice(0)) unmount(dir);
  });

  it('imports the old files once at the first start, keeps saves across a restart, and leaves the files', async () => {
    const dir = tempDataDir();
    mkdirSync(join(dir, CUSTOM_DIR));
    const old = { ...body, id: 'old-1', createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 };
    writeFileSync(join(dir, CUSTOM_DIR, 'old-1.json'), JSON.stringify(old));
    writeFileSync(join(dir, CUSTOM_DIR, 'bad-1.json'), 'not json');
    const lines: string[] = [];
    const first = await startTestServer({ dataDir: dir, log: (line) => lines.push(line) });
    const created = await send(`${first.url}/api/experiments/custom`, 'POST', body);
    expect(created.status).toBe(201);
    expect(lines.filter((l) => l.includes('saved experiment') || l.includes('bad-1'))).toEqual([
      expect.stringMatching(/^memtide: skipped custom-experiments\/bad-1\.json in .*: not JSON \(/),
      expect.stringMatching(/^memtide: imported 1 saved experiments from the JSON files in .* into .*memtide\.db; the files are left as they were$/),
    ]);
    await first.close();

    lines.length = 0;
    const second = await startTestServer({ dataDir: dir, log: (line) => lines.push(line) });
    try {
      const answer = CustomExperimentsAnswer.parse((await send(`${second.url}/api/experiments/custom`, 'GET')).json);
      expect(answer.experiments).toEqual([created.json, old]);
      expect(lines.filter((l) => l.includes('imported'))).toEqual([]);
      expect(readdirSync(join(dir, CUSTOM_DIR)).sort()).toEqual(['bad-1.json', 'old-1.json']);
    } finally {
      await second.close();
    }
  });

  it('a table it cannot read (moved away by hand in the sqlite3 shell): 500 with the reason, and back when it is back', async () => {
    const dir = tempDataDir();
    const server = await startTestServer({ dataDir: dir, log: () => undefined });
    const shell = new Database(join(dir, 'memtide.db'));
    try {
      const url = `${server.url}/api/experiments/custom`;
      const kept = await send(url, 'POST', body);
      shell.exec('ALTER TABLE custom_experiments RENAME TO set_aside');
      const list = await send(url, 'GET');
      expect([list.status, list.json.error]).toEqual([500, expect.stringMatching(/^could not read the saved experiments: could not list saved experiments in .*memtide\.db: SQLITE_ERROR: no such table: (main\.)?custom_experiments$/)]);
      expect((await send(`${url}/${kept.json.id}`, 'GET')).status).toBe(500);
      shell.exec('ALTER TABLE set_aside RENAME TO custom_experiments');
      expect((await send(url, 'GET')).json.experiments).toEqual([kept.json]);
    } finally {
      shell.close();
      await server.close();
    }
  });

  it('a full disk: saving answers 500 with the reason, nothing half-written, and saves again once space is back', async (ctx) => {
    const dir = tempDataDir();
    if (!mountTmpfs(dir, 'size=4m')) return (cannotMount('saved experiments on a full disk'), ctx.skip());
    mounted.push(dir);
    const server = await startTestServer({ dataDir: dir, log: () => undefined });
    try {
      const url = `${server.url}/api/experiments/custom`;
      const kept = await send(url, 'POST', body);
      fillDisk(dir);
      const refused = await send(url, 'POST', { ...body, name: 'too many', code: { allocate: 'x'.repeat(60_000) } });
      expect(refused.status).toBe(500);
      expect(refused.json.error).toMatch(/^could not store the experiment: could not save experiment [a-z0-9-]+: the disk holding .*memtide\.db is full \(SQLITE_FULL: database or disk is full\)$/);
      const renamed = await send(`${url}/${kept.json.id}`, 'PUT', { ...body, name: 'renamed', code: { allocate: 'x'.repeat(60_000) } });
      expect([renamed.status, renamed.json.error]).toEqual([500, expect.stringMatching(/^could not store the experiment: .*full/)]);
      expect((await send(url, 'GET')).json.experiments).toEqual([kept.json]);
      rmSync(join(dir, 'filler'));
      expect((await send(url, 'POST', { ...body, name: 'after' })).status).toBe(201);
      expect((await send(url, 'GET')).json.experiments.map((e: { name: string }) => e.name)).toEqual(['after', 'three lines']);
    } finally {
      await server.close();
    }
  });
});

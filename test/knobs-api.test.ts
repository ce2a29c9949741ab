// Knobs over HTTP: the catalog says which each experiment takes and whether this machine has them;
// bad or misplaced knobs are 400s naming the knob; a run records exactly what it ran under.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { catalogFor, machine, type Machine } from '../server/machine.js';
import { parseRunRequest } from '../server/run-request.js';
import { Experiment } from '../shared/catalog/experiment.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, postJson, startTestServer } from './helpers.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startTestServer();
});
afterAll(async () => {
  await app?.close();
});

const found = machine();

describe('GET /api/experiments', () => {
  it('lists the CPython experiments and, per experiment, its knobs with their availability', async () => {
    const list = Experiment.array().parse(await (await fetch(`${app.url}/api/experiments`)).json());
    const ids = list.map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining(['py-seed', 'py-unique-ints', 'py-small-objects', 'py-fragmentation', 'py-medium-bytes', 'py-large-bytes']));
    const py = list.find((e) => e.id === 'py-fragmentation')!;
    expect(py.knobs.map((k) => k.name)).toEqual(['trim', 'allocator', 'pythonMalloc', 'mallocTrimThreshold', 'mallocMmapThreshold', 'mallocArenaMax', 'jemallocDirtyDecayMs', 'jemallocMuzzyDecayMs', 'jemallocBackgroundThread']);
    expect(list.find((e) => e.id === 'seed-strings')!.knobs.map((k) => k.name)).not.toContain('pythonMalloc');
    for (const e of list) for (const k of e.knobs) expect(k.available || (k.unavailableReason ?? '').length > 0).toBe(true);
  });

  it('marks what a machine lacks as unavailable, with the reason', () => {
    const bare: Machine = { python: 'python3 not found (ENOENT): install python3', jemalloc: 'libjemalloc.so.2 not found (apt-get install libjemalloc2)', koffi: 'koffi cannot load', glibc: { version: '2.36' } };
    const catalog = catalogFor(bare);
    const py = catalog.find((e) => e.id === 'py-seed')!;
    expect(py).toMatchObject({ available: false, unavailableReason: bare.python });
    const node = catalog.find((e) => e.id === 'small-buffers')!;
    expect(node.available).toBe(true);
    expect(node.knobs.find((k) => k.name === 'trim')).toMatchObject({ available: false, unavailableReason: 'koffi cannot load' });
    expect(node.knobs.find((k) => k.name === 'allocator')).toMatchObject({ available: false, unavailableReason: bare.jemalloc });
    expect(node.knobs.find((k) => k.name === 'mallocArenaMax')!.available).toBe(true);
    // thread-arenas mallocs on its threads through koffi: without it the experiment itself is unavailable.
    expect(catalog.find((e) => e.id === 'thread-arenas')).toMatchObject({ needs: ['koffi'], available: false, unavailableReason: 'koffi cannot load' });
    expect(parseRunRequest({ experiment: 'thread-arenas' }, bare)).toEqual({ ok: false, error: 'experiment: thread-arenas is not available on this machine: koffi cannot load' });

    expect(parseRunRequest({ experiment: 'py-seed' }, bare)).toEqual({ ok: false, error: `experiment: py-seed is not available on this machine: ${bare.python}` });
    expect(parseRunRequest({ experiment: 'small-buffers', knobs: { trim: true } }, bare)).toEqual({ ok: false, error: 'knobs.trim: not available on this machine: koffi cannot load' });
    expect(parseRunRequest({ experiment: 'small-buffers', knobs: { allocator: 'jemalloc' } }, bare)).toEqual({ ok: false, error: `knobs.allocator: not available on this machine: ${bare.jemalloc}` });
  });
});

describe('POST /api/runs with knobs', () => {
  it.each([
    [{ experiment: 'seed-strings', knobs: { pythonMalloc: 'malloc' } }, /^knobs\.pythonMalloc: only for python experiments$/],
    [{ experiment: 'py-seed', knobs: { turbo: true } }, /^knobs\.turbo: unknown field/],
    [{ experiment: 'py-seed', knobs: { allocator: 'tcmalloc' } }, /^knobs\.allocator: /],
    [{ experiment: 'py-seed', knobs: { mallocArenaMax: -1 } }, /^knobs\.mallocArenaMax: /],
    [{ experiment: 'py-seed', knobs: { jemallocDirtyDecayMs: 0 } }, /^knobs\.jemallocDirtyDecayMs: only with allocator "jemalloc"$/],
    [{ experiment: 'py-seed', knobs: { allocator: 'jemalloc', mallocTrimThreshold: 0 } }, /^knobs\.mallocTrimThreshold: a glibc malloc setting/],
    [{ experiment: 'py-seed', knobs: [] }, /^knobs: /],
  ])('%j → 400 naming the knob, no run started', async (body, message) => {
    const before = await (await fetch(`${app.url}/api/runs`)).json();
    const { status, json } = await postJson(`${app.url}/api/runs`, body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
    expect(await (await fetch(`${app.url}/api/runs`)).json()).toEqual(before);
  });

  it.skipIf(typeof found.python === 'string')('a CPython run records its knobs, the env applied and seen, and the version; streams breakdowns', async () => {
    const jemalloc = typeof found.jemalloc !== 'string';
    const knobs = jemalloc ? { allocator: 'jemalloc', jemallocDirtyDecayMs: 0, trim: true } : { mallocArenaMax: 2, trim: true };
    const ws = await connectRecorder(app.url);
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'py-seed', params: { n: 100_000 }, knobs });
    expect(status, json.error).toBe(201);
    await ws.waitFor((m): m is ServerMessage => (m.type === 'run-finished' || m.type === 'run-failed') && m.runId === json.id);
    const updated = ws.messages.find((m) => m.type === 'run-updated' && m.run.id === json.id);
    expect(updated?.type === 'run-updated' && updated.run.runtimeVersion).toMatch(/^3\./);
    expect(ws.messages.filter((m) => m.type === 'breakdown' && m.runId === json.id)).toHaveLength(6);
    ws.close();

    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${json.id}`)).json());
    expect(record.status, record.error).toBe('finished');
    expect(record.knobs).toEqual(knobs);
    expect(record.workerEnvSeen).toEqual(record.workerEnv);
    expect(record.mallocLibrary).toBe(jemalloc ? 'jemalloc' : 'glibc');
    expect(record.workerEnv).toEqual(jemalloc ? { LD_PRELOAD: expect.stringMatching(/libjemalloc\.so\.2$/), MALLOC_CONF: 'dirty_decay_ms:0' } : { MALLOC_ARENA_MAX: '2' });
    expect(record.summary?.trimPct).toBeDefined();
  });
});

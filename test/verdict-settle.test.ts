// The CLI says the same verdict as the dashboard, and takes --settle; the API takes settleMs.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, postJson, startTestServer, tempDataDir } from './helpers.js';

const dataDir = tempDataDir();
const memtide = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dataDir } });
const found = machine();

describe('memtide run: verdicts and --settle', () => {
  it('--settle sets how long settle idles, recorded in the run', () => {
    const r = memtide('run', 'seed-strings', '--param', 'n=2000000', '--settle', '300', '--json');
    expect(r.status, r.stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(r.stdout));
    expect(record.settleMs).toBe(300);
    const settle = record.phases.find((p) => p.name === 'settle')!;
    expect(settle.end! - settle.start).toBeGreaterThanOrEqual(300);
    expect(record.summary!.verdict).toBe('released');
  });

  it.each([['100'], ['60001'], ['1.5'], ['soon']])('--settle %s is refused with the bounds', (value) => {
    const r = memtide('run', 'seed-strings', '--settle', value);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--settle "${value}": must be an integer from 200 to 60000 (ms)`);
  });

  it.skipIf(typeof found.python === 'string' || typeof found.jemalloc === 'string')('py-seed under jemalloc: "retained by allocator", naming its dirty pages and decay', () => {
    const r = memtide('run', 'py-seed', '--param', 'n=2000000', '--runtime-knob', 'allocator=jemalloc', '--settle', '200');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Verdict: retained by allocator: .* jemalloc keeps [\d.]+ MiB of dirty pages .*dirty_decay_ms is 10000 ms/m);
  });
});

describe('POST /api/runs: settleMs', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is recorded in the run and honoured by the worker; the summary carries the accounting and the noise', async () => {
    const recorder = await connectRecorder(app.url);
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'big-buffers', params: { n: 32 }, settleMs: 250 });
    expect(status).toBe(201);
    await recorder.waitFor(isRunEnd(json.id));
    recorder.close();
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${json.id}`)).json());
    expect(record.settleMs).toBe(250);
    const settle = record.phases.find((p) => p.name === 'settle')!;
    expect(settle.end! - settle.start).toBeGreaterThanOrEqual(250);
    expect(record.summary).toMatchObject({ verdict: 'released', noise: { threshold: expect.any(Number) } });
    expect(record.summary!.accounting!.map((a) => a.phase)).toEqual(['allocate', 'unreference', 'collect', 'settle']);
  });

  it.each([[100], [60_001], [1.5], ['1000']])('settleMs %j → 400 naming the field', async (settleMs) => {
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', settleMs });
    expect(status).toBe(400);
    expect(json.error).toBe('settleMs: must be an integer from 200 to 60000 (ms)');
  });
});

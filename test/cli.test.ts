// The headless CLI runs a real worker and prints the seed's lines; bad flags fail with a message.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../server/storage/run-store.js';
import { RunRecord } from '../shared/run-record.js';
import { tempDataDir } from './helpers.js';
import { isAlive } from './server-process.js';

const dataDir = tempDataDir();
const memtide = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dataDir } });

describe('memtide CLI', () => {
  it('run seed-strings prints the phases, the four seed lines with MiB, and a verdict', () => {
    const r = memtide('run', 'seed-strings', '--param', 'n=2000000', '--hz', '200');
    expect(r.status, r.stderr).toBe(0);
    for (const phase of ['baseline', 'allocate', 'unreference', 'collect', 'settle']) expect(r.stdout).toMatch(new RegExp(`^${phase} +start`, 'm'));
    for (const line of ['Allocation', 'Unreference', 'Collect', 'Overall']) {
      expect(r.stdout).toMatch(new RegExp(`^${line}: -?\\d+\\.\\d\\d%  \\([+-]\\d+\\.\\d MiB\\)$`, 'm'));
    }
    const allocation = Number(/^Allocation: (-?[\d.]+)%/m.exec(r.stdout)![1]);
    expect(allocation).toBeGreaterThan(10); // 2e6 × 8 B ≈ 15 MiB over a ~43 MiB baseline
    // The verdict printed is the one judged and stored for this run.
    const id = /memtide: stored as (\S+) in /.exec(r.stderr)![1]!;
    const record = new RunStore(dataDir).load(id)!;
    expect(record.summary!.allocationPct.toFixed(2)).toBe(allocation.toFixed(2));
    expect(r.stdout).toContain(`\nVerdict: ${record.summary!.verdictText}\n`);
  });

  it('run py-seed (CPython) prints the four seed lines and they add up to Overall', () => {
    const r = memtide('run', 'py-seed', '--param', 'n=1000000');
    expect(r.status, r.stderr).toBe(0);
    const pct = (line: string) => Number(new RegExp(`^${line}: (-?[\\d.]+)%`, 'm').exec(r.stdout)![1]);
    expect(pct('Allocation')).toBeGreaterThan(20); // 10^6 list slots ≈ 7.7 MiB over a ~14 MiB baseline
    expect(pct('Allocation') + pct('Unreference') + pct('Collect')).toBeCloseTo(pct('Overall'), 1);
    expect(r.stdout).toMatch(/on python 3\./);
  });

  it('passes --runtime-knob to the run, validated like the API', () => {
    const ok = memtide('run', 'py-medium-bytes', '--param', 'n=20000', '--runtime-knob', 'trim=true', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(ok.stdout));
    expect(record.knobs).toEqual({ trim: true });
    expect(record.phases.map((p) => p.name)).toContain('trim');
    const bad = memtide('run', 'py-seed', '--runtime-knob', 'bogus=1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/knobs\.bogus: unknown field/);
  });

  it('--json prints a run record that validates against the shared schema', () => {
    const r = memtide('run', 'big-buffers', '--param', 'n=32', '--json');
    expect(r.status, r.stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(r.stdout));
    expect(record.status).toBe('finished');
    // Stored like a server run, so the dashboard's history shows it.
    expect(new RunStore(dataDir).load(record.id)).toEqual(record);
    expect(record.summary!.mem1 - record.summary!.mem0).toBeGreaterThan(24 * 2 ** 20);
    // Each 1 MiB Buffer is its own mmap, unmapped once collected: RSS ends within ~1 MiB of baseline.
    expect(record.summary!.verdict).toBe('released');
  });

  it.each([
    [['run', 'seed-strings', '--param', 'n=abc'], /--param "n=abc": value must be a number/],
    [['run', 'seed-strings', '--param', 'n=5'], /params\.n: must be between/],
    [['run', 'nope'], /experiment: unknown experiment "nope"/],
    [['run', 'seed-strings', '--hz', '5000'], /--hz "5000": must be an integer from 1 to 1000/],
    [['run', 'seed-strings', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['launch'], /unknown command "launch"/],
  ])('%j exits non-zero with a clear message', (args, message) => {
    const r = memtide(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage:/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s mid-run stores the run as cancelled, kills the worker and exits 130', async (signal) => {
    const dir = tempDataDir();
    const child = spawn(process.execPath, ['scripts/memtide.mjs', 'run', 'small-objects', '--param', 'n=10000000'], { env: { ...process.env, MEMTIDE_DATA: dir } });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^allocate +start/m.test(stdout)) resolve();
    }));
    child.kill(signal);
    expect(await exited).toBe(130);
    const [record] = new RunStore(dir).list().records;
    expect(record).toMatchObject({ experiment: 'small-objects', status: 'cancelled', error: 'cancelled: the server shut down' });
    expect(isAlive(record!.pid!)).toBe(false);
  });

  it('list prints the catalog with params', () => {
    const r = memtide('list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^seed-strings +node/m);
    expect(r.stdout).toMatch(/--param n=10000000/);
  });
});

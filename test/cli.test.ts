// The headless CLI runs a real worker and prints the seed's lines; bad flags fail with a message.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../server/storage/run-store.js';
import { ExperimentsAnswer, MatrixAnswer } from '../shared/protocol/http.js';
import { RunRecord } from '../shared/run-record.js';
import { tempDataDir } from './helpers.js';
import { isAlive } from './server-process.js';

const dataDir = tempDataDir();
const memtide = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dataDir } });
const storedId = (stderr: string) => /memtide: stored as (\S+) in /.exec(stderr)![1]!;

describe('memtide CLI', () => {
  it('run seed-strings prints the phases, the four seed lines with MiB, and a verdict', () => {
    const r = memtide('run', 'seed-strings', '--param', 'n=2000000', '--hz', '200');
    expect(r.status, r.stderr).toBe(0);
    // The header names the malloc found mapped in the worker, before the phases.
    expect(r.stdout).toMatch(/^Run [a-z0-9-]+: seed-strings \(n=2000000\) · node v20\.[\d.]+ · allocator glibc · default allocator settings\nbaseline +start/);
    for (const phase of ['baseline', 'allocate', 'unreference', 'collect', 'settle']) expect(r.stdout).toMatch(new RegExp(`^${phase} +start`, 'm'));
    for (const line of ['Allocation', 'Unreference', 'Collect', 'Overall']) {
      expect(r.stdout).toMatch(new RegExp(`^${line}: -?\\d+\\.\\d\\d%  \\([+-]\\d+\\.\\d MiB\\)$`, 'm'));
    }
    const allocation = Number(/^Allocation: (-?[\d.]+)%/m.exec(r.stdout)![1]);
    expect(allocation).toBeGreaterThan(10); // 2e6 × 8 B ≈ 15 MiB over a ~43 MiB baseline
    // The verdict printed is the one judged and stored for this run.
    const record = new RunStore(dataDir).load(storedId(r.stderr))!;
    expect(record.summary!.allocationPct.toFixed(2)).toBe(allocation.toFixed(2));
    expect(r.stdout).toContain(`\nVerdict: ${record.summary!.verdictText}\n`);
  });

  it('run py-seed (CPython) prints the four seed lines and they add up to Overall; --settle is carried', () => {
    const r = memtide('run', 'py-seed', '--param', 'n=1000000', '--settle', '300');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Run [a-z0-9-]+: py-seed \(n=1000000\) · python 3\.[\d.]+ · allocator glibc · object allocator pymalloc · default allocator settings$/m);
    expect(new RunStore(dataDir).load(storedId(r.stderr))!.settleMs).toBe(300);
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

  it('--json prints a run record that validates against the shared schema; gates that hold exit 0', () => {
    const r = memtide('run', 'big-buffers', '--param', 'n=32', '--json', '--expect', 'released', '--max-final-mib', '8');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^memtide: gate passed: --expect released: the verdict is "released"$/m);
    expect(r.stderr).toMatch(/^memtide: gate passed: --max-final-mib 8: RSS after settle is -?\d+\.\d\d MiB above baseline \(baseline [\d.]+ MiB, after settle [\d.]+ MiB\)$/m);
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
    [['run', 'seed-strings', '--frobnicate'], /^memtide: run: unknown flag "--frobnicate" \(run takes --help, --param/],
    [['run', 'seed-strings', '--hz'], /^memtide: --hz needs a value$/m],
    [['run', 'seed-strings', '--json=yes'], /^memtide: --json takes no value, got "yes"$/m],
    [['run', 'seed-strings', '--settle', '50'], /--settle "50": must be an integer from 200 to 60000 \(ms\)/],
    [['run', 'seed-strings', '--expect', 'gone'], /--expect "gone": must be one of released, retained, referenced/],
    [['run', 'seed-strings', '--max-final-mib', '-1'], /--max-final-mib "-1": must be a number of MiB, 0 or more/],
    [['list', '--verbose'], /^memtide: list: unknown flag "--verbose"/],
    [['launch'], /unknown command "launch"/],
  ])('%j exits non-zero with a clear message', (args, message) => {
    const r = memtide(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional argument/);
    expect(r.stderr).toMatch(/usage:/);
  });

  it('a gate that fails exits 3 and says which, with the figures', () => {
    // 20 000 × 1000-byte bytes objects: glibc keeps the brk heap below the last one (see the catalog).
    const r = memtide('run', 'py-medium-bytes', '--param', 'n=20000', '--expect', 'released', '--max-final-mib', '1');
    expect(r.status, r.stderr).toBe(3);
    const record = new RunStore(dataDir).load(storedId(r.stderr))!;
    const s = record.summary!;
    expect(s.verdict).not.toBe('released');
    expect(r.stderr).toContain(`memtide: gate FAILED: --expect released: the verdict is "${s.verdict}", not "released"\n`);
    const kept = ((s.mem4 - s.mem0) / 2 ** 20).toFixed(2);
    expect(r.stderr).toContain(`memtide: gate FAILED: --max-final-mib 1: RSS after settle is ${kept} MiB above baseline`);
    expect(r.stdout).toMatch(/^Verdict: /m); // the table is still printed
  });

  it('a run that fails exits 1, not 3, whatever the gates', () => {
    const r = spawnSync(process.execPath, ['scripts/memtide.mjs', 'run', 'big-buffers', '--param', 'n=256', '--expect', 'released'], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dataDir, MEMTIDE_MEMORY_CAP_MIB: '64' },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/memtide: run failed: killed: exceeded memory cap 64 MiB/);
    expect(r.stderr).not.toMatch(/gate/);
  });

  it('--json through a real pipe to a slow reader arrives whole (a record over 200 KB: 7 s of settle at 1 kHz)', () => {
    // The reader waits for the first byte, then stalls 0.5 s with the pipe's 64 KiB full, then
    // reads 4 KiB at a time: the writer must not exit until its last byte is in the pipe.
    const reader = 'import sys,time\nb=sys.stdin.buffer\nd=b.read(1)\ntime.sleep(0.5)\nwhile True:\n c=b.read1(4096)\n if not c: break\n d+=c\n time.sleep(0.002)\nsys.stdout.buffer.write(d)';
    const r = spawnSync('sh', ['-c', `{ "${process.execPath}" scripts/memtide.mjs run seed-strings --param n=1000 --settle 7000 --json; echo "memtide exit $?" >&2; } | python3 -c "$READER"`], {
      encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20, env: { ...process.env, MEMTIDE_DATA: dataDir, READER: reader },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^memtide exit 0$/m);
    expect(r.stdout.length).toBeGreaterThan(200_000);
    const record = RunRecord.parse(JSON.parse(r.stdout));
    expect(record.status).toBe('finished');
    expect(new RunStore(dataDir).load(record.id)).toEqual(record);
  });

  it('matrix runs every allocator setting, stores each run, and prints the table (--json: the API\'s answer)', () => {
    const r = memtide('matrix', 'seed-strings', '--param', 'n=10000', '--settle', '200', '--hz', '200', '--json');
    expect(r.status, r.stderr).toBe(0);
    const matrix = MatrixAnswer.parse(JSON.parse(r.stdout));
    expect(matrix.rows.map((row) => [row.setting, row.status])).toEqual([
      ['glibc', 'finished'], ['glibc + trim', 'finished'], ['jemalloc', 'finished'], ['jemalloc decay 0', 'finished'],
    ]);
    expect(matrix.rows.filter((row) => row.best)).toHaveLength(1);
    expect(r.stderr).toContain(`memtide: matrix ${matrix.id}: 4 runs stored in ${dataDir}\n`);
    const store = new RunStore(dataDir);
    for (const row of matrix.rows) expect(store.load(row.runId)).toMatchObject({ matrixId: matrix.id, matrixSetting: row.setting, settleMs: 200 });
  });

  it('--help prints the usage and exits 0', () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const r = memtide(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage:\n {2}memtide run <experiment>/);
      expect(r.stdout).toMatch(/exit codes: 0 ok, 1 the run failed, 2 bad usage, 3 a gate/);
    }
  });

  it('list --json prints the catalog as this machine offers it', () => {
    const r = memtide('list', '--json');
    expect(r.status, r.stderr).toBe(0);
    const catalog = ExperimentsAnswer.parse(JSON.parse(r.stdout));
    expect(catalog.find((e) => e.id === 'py-fragmentation')!.knobs.map((k) => k.name)).toContain('pythonMalloc');
    expect(catalog.find((e) => e.id === 'seed-strings')!.knobs.map((k) => k.name)).not.toContain('pythonMalloc');
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
    const store = new RunStore(dir);
    const [info] = store.page({ limit: 10, sort: 'date', order: 'desc', filter: {} }).runs;
    const record = store.load(info!.id);
    store.close();
    expect(record).toMatchObject({ experiment: 'small-objects', status: 'cancelled', error: 'cancelled: the server shut down' });
    expect(isAlive(record!.pid!)).toBe(false);
  });

  it('list prints the catalog with params and knobs', () => {
    const r = memtide('list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^seed-strings +node/m);
    expect(r.stdout).toMatch(/--param n=10000000/);
    expect(r.stdout).toMatch(/^ +--runtime-knob allocator=glibc\|jemalloc {2}LD_PRELOAD=libjemalloc\.so\.2/m);
    expect(r.stdout).toMatch(/^ +--runtime-knob pythonMalloc=pymalloc\|malloc {2}PYTHONMALLOC/m);
    expect(r.stdout).toMatch(/^ +--runtime-knob mallocArenaMax=1…1024 arenas {2}MALLOC_ARENA_MAX/m);
  });
});

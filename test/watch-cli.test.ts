// `memtide ps` and `memtide watch` against a real victim, as a user runs them.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore } from '../server/storage/run-store.js';
import { gdbAvailability } from '../server/watch/gdb-probe.js';
import { ProcessListAnswer } from '../shared/protocol/http.js';
import { RunRecord } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { tempDataDir } from './helpers.js';
import { fixture, killVictims, spawnVictim } from './victims.js';

const dataDir = tempDataDir();
const memtide = (args: string[], input = '') =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, input, env: { ...process.env, MEMTIDE_DATA: dataDir } });

afterEach(() => killVictims());

describe('memtide ps / watch', () => {
  it('ps lists the victim, filtered by words, as a table or JSON', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '1000']);
    const json = memtide(['ps', 'victim-medium-bytes', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const answer = ProcessListAnswer.parse(JSON.parse(json.stdout));
    expect(answer.processes.map((p) => [p.pid, p.runtime, p.allocator])).toContainEqual([victim.pid, 'python', 'glibc']);
    const text = memtide(['ps', String(victim.pid)]);
    expect(text.stdout).toMatch(new RegExp(`^\\s*${victim.pid}  \\S+ +\\d+\\.\\d  python 3\\.\\d+ +glibc +\\S*python\\S* \\S*victim-medium-bytes\\.py 1000$`, 'm'));
  });

  it.skipIf(!gdbAvailability().allowed)('watch --trim --json: the probe in the record, stdin lines as markers, stored with the runs', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '60000']);
    const r = memtide(['watch', String(victim.pid), '--duration', '2', '--hz', '200', '--trim', '--json'], 'before the trim\n');
    expect(r.status, r.stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(r.stdout));
    expect(record).toMatchObject({ kind: 'watch', sampleHz: 200, params: { pid: victim.pid } });
    expect(record.watchTimeline!.markers.map((m) => m.label)).toEqual(['before the trim']);
    const [trim] = record.watchTimeline!.probes;
    expect(trim).toMatchObject({ kind: 'trim', status: 'done' });
    expect(trim!.returned!).toBeGreaterThan(40 * MiB);
    expect(new RunStore(dataDir).load(record.id)?.kind).toBe('watch');
  });

  it.skipIf(!gdbAvailability().allowed)('the table says what the probe does, then the breakdown, the probe and the verdict', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '60000']);
    const r = memtide(['watch', String(victim.pid), '--duration', '1', '--hz', '100', '--trim']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^trim: gdb attaches to pid ${victim.pid} and calls malloc_trim\\(0\\) in it; the process is stopped while gdb is attached`, 'm'));
    expect(r.stdout).toMatch(/^brk heap +\d+\.\d +\d+\.\d$/m);
    expect(r.stdout).toMatch(/^trim +gdb +done +\d+\.\d MiB +\d+\.\d MiB +\d+\.\d MiB +\d+ ms +malloc_trim\(0\) returned 1: memory was released$/m);
    expect(r.stdout).toMatch(/^Verdict: retained by allocator — The allocator was holding it/m);
  });

  it.each([
    [['watch', '1'], 1, /^memtide: pid: 1 is the init process/],
    [['watch', 'abc'], 2, /^memtide: watch takes one pid, got abc\nusage:/],
    [['watch', '12', '--hz', '0'], 2, /^memtide: --hz 0: must be an integer from 1 to 1000/],
  ])('%j exits %i with the reason', (args, status, message) => {
    const r = memtide(args);
    expect([r.status, r.stderr]).toEqual([status, expect.stringMatching(message)]);
  });
});

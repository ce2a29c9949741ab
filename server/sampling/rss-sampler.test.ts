// The samplers against a real child process: batches arrive at roughly the asked rate, in time
// order, and nothing arrives once stop() has resolved. Bounds are loose on purpose: the machine is
// shared, and speed is measured by `npm run bench`, not here.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../shared/run-record.js';
import { MiB, now } from '../../shared/units.js';
import { childPids, commOf, isAlive } from '../../test/server-process.js';
import { distDir } from '../paths.js';
import { MEMORY_WATCH_HZ } from '../run-limits.js';
import { unpackSamples } from './packed-samples.js';
import { hasProc, openStatm } from './proc-statm.js';
import { hasNativeSampler, prewarmNativeSampler } from './native-sampler.js';
import { BATCH_MS, defaultMethod, IDLE_BATCH_MS, prewarmSampler, startRssSampler, type SamplerMethod } from './rss-sampler.js';
import { prewarmSamplerThread } from './thread-sampler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watchChild(seconds: number) {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { pid: child.pid!, exited, kill: () => child.kill() };
}

/** The native sampler where it was built. */
const native: SamplerMethod[] = hasNativeSampler() ? ['proc-statm-native'] : [];

describe.skipIf(!hasProc())('RSS samplers on /proc', () => {
  it('defaults to the native process where it was built (a C compiler was there), else the thread', () => {
    expect(defaultMethod()).toBe(hasNativeSampler() ? 'proc-statm-native' : 'proc-statm-thread');
  });

  it.each<SamplerMethod>([...native, 'proc-statm-thread', 'proc-statm'])('%s delivers time-ordered batches at roughly the asked rate, then stops', async (method) => {
    const child = watchChild(30);
    const batches: Sample[][] = [];
    const sampler = startRssSampler(child.pid, 200, (b) => batches.push(unpackSamples(b)), { method });
    expect(sampler.method).toBe(method);
    await sleep(1000);
    await sampler.stop();
    const count = batches.flat().length;
    await sleep(100);
    expect(batches.flat()).toHaveLength(count); // nothing after stop()
    child.kill();
    const samples = batches.flat();
    expect(samples.length).toBeGreaterThan(60); // ~200 at 200 Hz for 1 s
    expect(samples.length).toBeLessThan(260);
    expect(batches.length).toBeGreaterThan(5); // handed over in batches, not all at the end
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.t).toBeGreaterThan(samples[i - 1]!.t);
    expect(samples.every((s) => s.rss > 0)).toBe(true);
  });

  it('the default sampler ends by itself when the process exits', async () => {
    const child = watchChild(0.3);
    const samples: Sample[] = [];
    const sampler = startRssSampler(child.pid, 1000, (b) => samples.push(...unpackSamples(b)));
    await child.exited;
    await sleep(300); // reaped: the sampler's next read fails and it ends
    if (sampler.pid !== undefined) expect(isAlive(sampler.pid)).toBe(false); // ended by itself, not by stop()
    const count = samples.length;
    await sampler.stop();
    expect(samples.length).toBe(count);
    expect(count).toBeGreaterThan(20);
  });

  it('samplers one after another each get their own process or thread (started ahead, then replaced)', async () => {
    prewarmSampler();
    await sleep(200);
    for (let round = 0; round < 3; round++) {
      const child = watchChild(30);
      const samples: Sample[] = [];
      const sampler = startRssSampler(child.pid, 500, (b) => samples.push(...unpackSamples(b)));
      await sleep(300);
      await sampler.stop();
      child.kill();
      expect(samples.length, `round ${round}`).toBeGreaterThan(30); // ~150
      expect(new Set(samples.map((s) => s.t)).size).toBe(samples.length);
    }
  });
});

/** A child that grows by 8 MiB (written) every 20 ms: ~400 MiB/s. */
function growingChild() {
  const child = spawn(process.execPath, ['-e', 'const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 20)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

describe.skipIf(!hasProc())('the memory watchdog in the sampler', () => {
  it.each<SamplerMethod>([...native, 'proc-statm-thread', 'proc-statm'])('%s at 1 Hz still sees the cap crossed within one watch period, and records that reading', async (method) => {
    const child = growingChild();
    if (method === 'proc-statm-thread') prewarmSamplerThread(); // up before it is given the pid: no reading taken at spawn on this thread
    if (method === 'proc-statm-native') prewarmNativeSampler();
    await sleep(150); // past node's start-up
    const statm = openStatm(child.pid);
    const capBytes = statm.read()! + 64 * MiB;
    statm.close();
    const samples: Sample[] = [];
    const breach = await new Promise<number>((resolve) => {
      startRssSampler(child.pid, 1, (b) => samples.push(...unpackSamples(b)), { method, capBytes, onBreach: resolve });
    });
    child.kill();
    expect(breach).toBeGreaterThan(capBytes);
    // Read MEMORY_WATCH_HZ times a second: at most one 8 MiB step (plus one landing meanwhile)
    // past the cap. At the 1 Hz it records at, it would be ~400 MiB past it.
    expect(breach).toBeLessThanOrEqual(capBytes + 16 * MiB);
    expect(samples.at(-1)!.rss).toBe(breach); // on the timeline, so the chart shows it
    // The 1 Hz readings and the breach — and one reading taken at spawn on this thread when the
    // sampler thread is still starting (its start-up can outlast the 150 ms above on a busy machine);
    // the watch's own readings (≥ 100 a second) are never recorded.
    expect(samples.length).toBeLessThanOrEqual(3);
    expect(MEMORY_WATCH_HZ).toBeGreaterThanOrEqual(100);
  });
});

/** Whether this process may make a thread SCHED_FIFO (CAP_SYS_NICE): tried on a throwaway child. */
function mayUseRealtime(): boolean {
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const ok = spawnSync('chrt', ['--fifo', '--pid', '1', String(child.pid)], { stdio: 'ignore' }).status === 0;
  child.kill();
  return ok;
}

/** Scheduling policy of each thread of this process (/proc/self/task/TID/stat field 41; 1 = SCHED_FIFO). */
const threadPolicies = () => readdirSync('/proc/self/task').map((tid) => {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
});

const policyOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
};

describe.skipIf(!hasProc() || !hasNativeSampler())('the native sampler process', () => {
  it('stamps readings on the server\'s clock (shared/units.ts now()), to well under a ms', async () => {
    const child = watchChild(30);
    const stamps: { t: number; at: number }[] = [];
    const sampler = startRssSampler(child.pid, 1000, (b) => stamps.push({ t: b.at(-2)!, at: now() }), { method: 'proc-statm-native', batchMs: BATCH_MS });
    await sleep(500);
    await sampler.stop();
    child.kill();
    expect(stamps.length).toBeGreaterThan(20);
    // The last reading of a batch is taken just before the batch leaves: received 0-10 ms later
    // (more on a busy machine), never before it was taken.
    for (const { t, at } of stamps) expect(at - t).toBeGreaterThanOrEqual(0);
    const delays = stamps.map(({ t, at }) => at - t).sort((a, b) => a - b);
    expect(delays[delays.length >> 1]).toBeLessThan(10);
  });

  it.skipIf(!mayUseRealtime() || process.env.MEMTIDE_SAMPLER_RT === '0')('runs SCHED_FIFO where it is allowed to', async () => {
    const child = watchChild(30);
    const sampler = startRssSampler(child.pid, 1000, () => undefined, { method: 'proc-statm-native' });
    await sleep(300);
    expect(commOf(sampler.pid!)).toBe('native-sampler');
    expect(policyOf(sampler.pid!)).toBe(1);
    await sampler.stop();
    child.kill();
    await sleep(100);
    expect(isAlive(sampler.pid!)).toBe(false);
  });

  it('keeps sampling on the main thread when the process dies under it, and says so', async () => {
    const child = watchChild(30);
    const samples: Sample[] = [];
    const warnings: string[] = [];
    const sampler = startRssSampler(child.pid, 200, (b) => samples.push(...unpackSamples(b)), { method: 'proc-statm-native', onWarning: (m) => warnings.push(m) });
    await sleep(300);
    process.kill(sampler.pid!, 'SIGKILL');
    await sleep(200);
    const atKill = samples.length;
    await sleep(500);
    await sampler.stop();
    child.kill();
    expect(warnings).toEqual([expect.stringMatching(/^sampler process for pid \d+ failed \(killed by SIGKILL\); sampling on the main thread$/)]);
    expect(samples.length - atKill).toBeGreaterThan(40); // ~100 at 200 Hz in 0.5 s
  });

  it('keeps a process with nothing else to wait on alive until its last batch (a CLI run, a benchmark)', () => {
    const module = pathToFileURL(join(distDir, 'server/sampling/rss-sampler.js')).href;
    const script = `import { spawn } from 'node:child_process';
      import { startRssSampler } from ${JSON.stringify(module)};
      const child = spawn('sleep', ['0.3']);
      let n = 0;
      const sampler = startRssSampler(child.pid, 1000, (b) => (n += b.length / 2), { method: 'proc-statm-native', batchMs: 100 });
      child.on('exit', async () => { await sampler.stop(); console.log('readings', n); });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status, r.stderr).toBe(0); // 13 was an await left unsettled when the event loop emptied
    expect(Number(/readings (\d+)/.exec(r.stdout)?.[1])).toBeGreaterThan(100); // ~300
  });

  it('dies with the server that started it', async () => {
    // The compiled module (what the server runs), in a process of its own that is then killed.
    const module = pathToFileURL(join(distDir, 'server/sampling/rss-sampler.js')).href;
    const script = `import { startRssSampler } from ${JSON.stringify(module)};
      startRssSampler(${process.pid}, 100, () => undefined, { method: 'proc-statm-native' }); setInterval(() => undefined, 1000);`;
    const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    let helpers: number[] = [];
    for (let i = 0; i < 100 && helpers.length === 0; i++) {
      await sleep(50);
      helpers = childPids(server.pid!).filter((pid) => commOf(pid) === 'native-sampler');
    }
    expect(helpers).toHaveLength(1);
    server.kill('SIGKILL');
    await sleep(300);
    expect(isAlive(helpers[0]!)).toBe(false);
  });
});

describe.skipIf(!hasProc())('the sampler thread', () => {
  it.skipIf(!mayUseRealtime() || process.env.MEMTIDE_SAMPLER_RT === '0')('runs SCHED_FIFO where it is allowed to', async () => {
    const before = threadPolicies().filter((p) => p === 1).length;
    const child = watchChild(30);
    const sampler = startRssSampler(child.pid, 1000, () => undefined, { method: 'proc-statm-thread' });
    await sleep(300);
    expect(threadPolicies().filter((p) => p === 1).length).toBeGreaterThan(before);
    await sampler.stop();
    child.kill();
  });

  it.each<SamplerMethod>([...native, 'proc-statm-thread'])('%s hands batches over every ~10 ms while watched, and ~10 times less often when not', async (method) => {
    const child = watchChild(30);
    const batches: number[] = [];
    const sampler = startRssSampler(child.pid, 1000, (b) => batches.push(b.length / 2), { method, batchMs: IDLE_BATCH_MS });
    await sleep(1000);
    const idle = batches.length;
    sampler.setBatchMs(BATCH_MS);
    await sleep(1000);
    const watched = batches.length - idle;
    await sampler.stop();
    child.kill();
    expect(idle).toBeLessThanOrEqual(1000 / IDLE_BATCH_MS + 2);
    expect(watched).toBeGreaterThan(3 * idle);
    expect(Math.max(...batches.slice(0, idle - 1))).toBeGreaterThan(50); // ~100 readings a batch while idle
  });
});

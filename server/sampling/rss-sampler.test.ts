// The samplers against a real child process: batches arrive at roughly the asked rate, in time
// order, and nothing arrives once stop() has resolved. Bounds are loose on purpose: the machine is
// shared, and speed is measured by `npm run bench`, not here.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../shared/run-record.js';
import { hasProc } from './proc-statm.js';
import { defaultMethod, prewarmSamplerThread, startRssSampler, type SamplerMethod } from './rss-sampler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watchChild(seconds: number) {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { pid: child.pid!, exited, kill: () => child.kill() };
}

describe.skipIf(!hasProc())('RSS samplers on /proc', () => {
  it('defaults to the thread where /proc exists', () => {
    expect(defaultMethod()).toBe('proc-statm-thread');
  });

  it.each<SamplerMethod>(['proc-statm-thread', 'proc-statm'])('%s delivers time-ordered batches at roughly the asked rate, then stops', async (method) => {
    const child = watchChild(30);
    const batches: Sample[][] = [];
    const sampler = startRssSampler(child.pid, 200, (b) => batches.push(b), { method });
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

  it('the thread ends by itself when the process exits', async () => {
    const child = watchChild(0.3);
    const samples: Sample[] = [];
    const sampler = startRssSampler(child.pid, 1000, (b) => samples.push(...b));
    await child.exited;
    await sleep(300); // reaped: the thread's next read fails and it ends
    const count = samples.length;
    await sampler.stop();
    expect(samples.length).toBe(count);
    expect(count).toBeGreaterThan(20);
  });

  it('samplers one after another each get a thread (started ahead, then replaced)', async () => {
    prewarmSamplerThread();
    await sleep(200);
    for (let round = 0; round < 3; round++) {
      const child = watchChild(30);
      const samples: Sample[] = [];
      const sampler = startRssSampler(child.pid, 500, (b) => samples.push(...b));
      await sleep(300);
      await sampler.stop();
      child.kill();
      expect(samples.length, `round ${round}`).toBeGreaterThan(30); // ~150
      expect(new Set(samples.map((s) => s.t)).size).toBe(samples.length);
    }
  });
});

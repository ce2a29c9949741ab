// The breakdown of a real process, read on the reader's thread: the same figures as a read here,
// while this thread's event loop goes on (at a big process's phase end the read takes 40-60 ms).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../shared/units.js';
import { readBreakdown } from './breakdown-reader.js';
import { hasProc } from './proc-statm.js';
import { readMemoryBreakdown } from './proc-smaps.js';

describe.skipIf(!hasProc())('readBreakdown', () => {
  it('reads a live process off the main thread, and says undefined once it has gone', async () => {
    // ~64 MiB written, so the figures are well above a bare node's.
    const child = spawn(process.execPath, ['-e', 'globalThis.keep = Buffer.alloc(64 << 20, 1); process.stdout.write("up"); setInterval(() => undefined, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    try {
      let turned = false;
      setImmediate(() => (turned = true));
      const breakdown = await readBreakdown(child.pid!, 'allocate', 1234);
      expect(turned).toBe(true); // the event loop went on while it was read elsewhere
      const here = readMemoryBreakdown(child.pid!, 'allocate', 1234)!;
      expect(breakdown).toMatchObject({ phase: 'allocate', t: 1234 });
      expect(breakdown!.rss).toBeGreaterThan(64 * MiB);
      expect(Math.abs(breakdown!.rss - here.rss)).toBeLessThan(4 * MiB);
      expect(Math.abs(breakdown!.anonMappings - here.anonMappings)).toBeLessThan(4 * MiB);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50)); // reaped
    expect(await readBreakdown(child.pid!, 'collect', 1)).toBeUndefined();
  });

  it.skipIf(getPriority() >= 19)("reads on a thread of its own at the workers' lower priority, and at the server's with nice 0", async () => {
    // Each thread's nice value: field 19 of /proc/self/task/TID/stat, the 17th after the ")" of its name.
    const threads = () => new Map(readdirSync('/proc/self/task').map((tid) => [tid, Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])]));
    const started = (before: Map<string, number>, after: Map<string, number>) => [...after].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
    const base = getPriority();
    const t0 = threads();
    expect(await readBreakdown(process.pid, 'baseline', 1, 7)).toMatchObject({ phase: 'baseline' });
    const t1 = threads();
    expect(started(t0, t1)).toContain(Math.min(19, base + 7)); // its thread, lowered by 7
    expect(await readBreakdown(process.pid, 'baseline', 2, 0)).toMatchObject({ t: 2 });
    const second = started(t1, threads());
    expect(second.length).toBeGreaterThan(0); // another thread for nice 0…
    expect(second.every((nice) => nice === base)).toBe(true); // …at the server's own priority
  });
});

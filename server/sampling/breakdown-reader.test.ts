// The breakdown of a real process, read on the reader's thread: the same figures as a read here,
// while this thread's event loop goes on (at a big process's phase end the read takes 40-60 ms).
import { spawn } from 'node:child_process';
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
});

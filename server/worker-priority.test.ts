import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { autogroupNice, autogroupOn, DEFAULT_WORKER_NICE, WORKER_NICE_MAX } from './worker-priority.js';
import { spawnProcess, type WorkerHandle } from './worker-process.js';

const linux = process.platform === 'linux';
const autogroup = autogroupOn();
const cap = (n: number) => Math.min(WORKER_NICE_MAX, n);

/**
 * How much lower than this process a worker runs, as the kernel applies it here: its own nice, and
 * its session's group where autogroup is on (polled: an unprivileged write may be retried 110 ms on).
 */
async function expectLowered(pid: number, by: number): Promise<void> {
  expect(getPriority(pid)).toBe(cap(getPriority() + by));
  if (autogroup && by > 0) await expect.poll(() => autogroupNice(pid), { timeout: 1000 }).toBe(cap((autogroupNice('self') ?? 0) + by));
}

describe.runIf(linux)('worker priority', () => {
  const started: WorkerHandle[] = [];
  const start = (nice?: number) => {
    const handle = spawnProcess({ file: 'sleep', args: ['30'], ...(nice !== undefined && { nice }) }, { onMessage: () => undefined, onProtocolError: () => undefined, onExit: () => undefined });
    started.push(handle);
    return handle;
  };
  afterEach(() => {
    for (const h of started.splice(0)) h.kill();
  });

  it(`a worker runs ${DEFAULT_WORKER_NICE} nice steps below its observers, itself${autogroup ? ' and its session\'s autogroup' : ''}`, async () => {
    await expectLowered(start().pid, DEFAULT_WORKER_NICE);
  });

  it('MEMTIDE_WORKER_NICE picks the value; 0 leaves the worker as the server', async () => {
    await expectLowered(start(19).pid, 19);
    await expectLowered(start(0).pid, 0);
  });
});

import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_NICE } from './worker-priority.js';
import { spawnProcess, type WorkerHandle } from './worker-process.js';

const linux = process.platform === 'linux';
const autogroup = linux && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';

/** The priority a process runs at, the way the kernel applies it here (its session's group, or its own). */
function niceOf(pid: number): number {
  if (autogroup) return Number(/nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'))![1]);
  return getPriority(pid);
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

  it(`a worker runs at nice ${DEFAULT_WORKER_NICE} below its observers, ${autogroup ? 'as its session\'s autogroup' : 'as its own nice'}`, () => {
    expect(niceOf(start().pid)).toBe(DEFAULT_WORKER_NICE);
  });

  it('MEMTIDE_WORKER_NICE picks the value; 0 leaves the worker as the server', () => {
    expect(niceOf(start(19).pid)).toBe(19);
    expect(niceOf(start(0).pid)).toBe(0);
  });
});

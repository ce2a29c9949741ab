// Starts a watch's breakdown reader (memory-thread.ts) and talks to it: its readings arrive as
// events, and a probe can ask for a reading now. Where the compiled thread is missing (running
// from sources), the same loop runs on a main-thread timer instead.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WatchBreakdown } from '../../shared/watch-record.js';
import { distDir } from '../paths.js';
import type { CgroupLocation } from './cgroup-memory.js';
import type { MemoryThreadData, MemoryThreadRequest } from './memory-thread.js';
import { createMemoryLoop, type MemoryEvent } from './smaps-adaptive.js';

export const memoryThreadScript = resolve(distDir, 'server/watch/memory-thread.js');

/** A probe's reading waits this long at most (a 60k-mapping smaps takes ~0.5 s). */
const READ_NOW_TIMEOUT_MS = 5000;

export interface MemoryReader {
  readonly method: 'thread' | 'main-thread';
  /** A breakdown read now; undefined when it could not be read. */
  readNow(): Promise<WatchBreakdown | undefined>;
  stop(): Promise<void>;
}

export function startMemoryReader(pid: number, cgroup: CgroupLocation | undefined, onEvent: (event: MemoryEvent) => void): MemoryReader {
  const waiting = new Map<number, (b: WatchBreakdown | undefined) => void>();
  let nextTag = 1;
  const deliver = (event: MemoryEvent) => {
    if ((event.type === 'breakdown' || event.type === 'unreadable') && event.tag !== undefined) {
      waiting.get(event.tag)?.(event.type === 'breakdown' ? event.breakdown : undefined);
      waiting.delete(event.tag);
    }
    onEvent(event);
  };
  const ask = (send: (tag: number) => void) => new Promise<WatchBreakdown | undefined>((done) => {
    const tag = nextTag++;
    const timer = setTimeout(() => {
      waiting.delete(tag);
      done(undefined);
    }, READ_NOW_TIMEOUT_MS);
    waiting.set(tag, (b) => {
      clearTimeout(timer);
      done(b);
    });
    send(tag);
  });
  const release = () => {
    for (const done of waiting.values()) done(undefined);
    waiting.clear();
  };

  if (!existsSync(memoryThreadScript)) {
    const loop = createMemoryLoop({ pid, cgroup, post: deliver });
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      const delay = loop.tick();
      if (delay !== undefined) timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, 0);
    return {
      method: 'main-thread',
      readNow: () => ask((tag) => setImmediate(() => loop.readNow(tag))),
      async stop() {
        clearTimeout(timer);
        release();
      },
    };
  }

  const data: MemoryThreadData = { pid, cgroup };
  const worker = new Worker(memoryThreadScript, { workerData: data, stdout: false, stderr: false });
  worker.unref();
  let alive = true;
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'unreadable', error: `breakdown reader failed: ${error.message}` }));
  worker.on('exit', () => {
    alive = false;
    release();
  });
  return {
    method: 'thread',
    readNow: () => (alive ? ask((tag) => worker.postMessage({ type: 'read', tag } satisfies MemoryThreadRequest)) : Promise.resolve(undefined)),
    async stop() {
      release();
      if (alive) await worker.terminate();
    },
  };
}

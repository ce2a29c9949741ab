// The main thread's side of breakdown-thread.ts: one thread for the server, started at the first
// phase end and kept (unref'd: it never keeps the server alive); reads queue there in order.
// Where the compiled thread is missing (from sources without a build) or has failed, the read
// happens here, synchronously, as it used to.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MemoryBreakdown, PhaseName } from '../../shared/run-record.js';
import { distDir } from '../paths.js';
import type { BreakdownReply, BreakdownRequest } from './breakdown-thread.js';
import { readMemoryBreakdown } from './proc-smaps.js';

const threadScript = resolve(distDir, 'server/sampling/breakdown-thread.js');

let thread: Worker | undefined;
const waiting = new Map<number, (breakdown: MemoryBreakdown | undefined) => void>();
let nextTag = 1;

function readerThread(): Worker | undefined {
  if (thread || !existsSync(threadScript)) return thread;
  const worker = new Worker(threadScript, { stdout: false, stderr: false });
  worker.unref();
  worker.on('message', ({ tag, breakdown }: BreakdownReply) => {
    waiting.get(tag)?.(breakdown);
    waiting.delete(tag);
  });
  const failed = () => {
    // Whatever was asked of it is answered here instead; the next read starts a new thread.
    if (thread === worker) thread = undefined;
    for (const [tag, resolve] of waiting) {
      waiting.delete(tag);
      resolve(undefined);
    }
  };
  worker.on('error', failed);
  worker.on('exit', failed);
  return (thread = worker);
}

/** The process's breakdown now, read off the main thread; undefined once it has gone. */
export function readBreakdown(pid: number, phase: PhaseName, t: number): Promise<MemoryBreakdown | undefined> {
  const worker = readerThread();
  if (!worker) return Promise.resolve(readMemoryBreakdown(pid, phase, t));
  const tag = nextTag++;
  return new Promise((resolve) => {
    waiting.set(tag, resolve);
    worker.postMessage({ tag, pid, phase, t } satisfies BreakdownRequest);
  });
}

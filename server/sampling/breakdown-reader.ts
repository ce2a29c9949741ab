// The main thread's side of breakdown-thread.ts: one thread for the server (one per nice value
// asked: a server has one), started at the first phase end and kept (unref'd: it never keeps the
// server alive); reads queue there in order.
// Where the compiled thread is missing (from sources without a build) or has failed, the read
// happens here, synchronously, as it used to.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MemoryBreakdown, PhaseName } from '../../shared/run-record.js';
import { distDir } from '../paths.js';
import { DEFAULT_WORKER_NICE } from '../worker-priority.js';
import type { BreakdownReply, BreakdownRequest, BreakdownThreadData } from './breakdown-thread.js';
import { readMemoryBreakdown } from './proc-smaps.js';

const threadScript = resolve(distDir, 'server/sampling/breakdown-thread.js');

interface ReaderThread {
  worker: Worker;
  /** Its reads not answered yet, by tag. */
  waiting: Map<number, (breakdown: MemoryBreakdown | undefined) => void>;
}

const threads = new Map<number, ReaderThread>();
let nextTag = 1;

function readerThread(nice: number): ReaderThread | undefined {
  const running = threads.get(nice);
  if (running || !existsSync(threadScript)) return running;
  let worker: Worker;
  try {
    worker = new Worker(threadScript, { stdout: false, stderr: false, workerData: { nice } satisfies BreakdownThreadData });
  } catch {
    return undefined; // read here, as without a build
  }
  worker.unref();
  const reader: ReaderThread = { worker, waiting: new Map() };
  worker.on('message', ({ tag, breakdown }: BreakdownReply) => {
    reader.waiting.get(tag)?.(breakdown);
    reader.waiting.delete(tag);
  });
  const failed = () => {
    // Its pending reads get no figures (the run goes on: the worker is acked); the next read
    // starts a new thread. Each thread answers only its own reads ('error' then 'exit' both come).
    if (threads.get(nice) === reader) threads.delete(nice);
    for (const resolve of reader.waiting.values()) resolve(undefined);
    reader.waiting.clear();
  };
  worker.on('error', failed);
  worker.on('exit', failed);
  threads.set(nice, reader);
  return reader;
}

/**
 * The process's breakdown now, read off the main thread, on a thread `nice` below the server's
 * (the workers' nice: MEMTIDE_WORKER_NICE); undefined once the process has gone.
 */
export function readBreakdown(pid: number, phase: PhaseName, t: number, nice = DEFAULT_WORKER_NICE): Promise<MemoryBreakdown | undefined> {
  const reader = readerThread(nice);
  if (!reader) return Promise.resolve(readMemoryBreakdown(pid, phase, t));
  const tag = nextTag++;
  return new Promise((resolve) => {
    reader.waiting.set(tag, resolve);
    reader.worker.postMessage({ tag, pid, phase, t } satisfies BreakdownRequest);
  });
}

// The thread-arenas experiment's pool: T worker_threads, started before baseline (each is a V8
// isolate of ~10 MiB that is not this experiment's data) and alive to the end, each asked in turn
// for one burst of native mallocs (native-burst-thread.ts).
import { Worker } from 'node:worker_threads';
import type { BurstRequest, BurstThreadData } from './native-burst-thread.js';
import { preloadedJemalloc } from './node-allocator.js';

export interface BurstPool {
  /** Thread k mallocs, writes and frees n blocks of size bytes, keeping the last; one thread at a time. */
  burst(k: number, request: BurstRequest): Promise<void>;
  readonly size: number;
}

/** The pool's threads' own failures (koffi missing, malloc failing) end the run with their message. */
export async function startBurstPool(threads: number): Promise<BurstPool> {
  const workerData: BurstThreadData = { mallocLibrary: preloadedJemalloc() ?? 'libc.so.6' };
  // A small young generation: the calls' garbage cannot grow an isolate's new space past it (seen
  // without a cap: +0.8 MiB per thread and burst, which the worker's V8 figures, the main isolate's, miss).
  const resourceLimits = { maxYoungGenerationSizeMb: 2 };
  const pool = Array.from({ length: threads }, () => new Worker(new URL('./native-burst-thread.js', import.meta.url), { workerData, resourceLimits }));
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) => {
    for (const worker of pool) {
      worker.on('error', (error) => reject((failure = new Error(`a thread-arenas thread failed: ${error.message}${/koffi/.test(error.message) ? ' (npm install koffi)' : ''}`))));
      worker.on('exit', (code) => {
        if (code !== 0) reject((failure ??= new Error(`a thread-arenas thread exited with code ${code}`)));
      });
    }
  });
  failed.catch(() => undefined); // reported through the promise a caller is waiting on
  const reply = (worker: Worker) => Promise.race([new Promise((resolve) => worker.once('message', resolve)), failed]);
  await Promise.all(pool.map(reply));
  return {
    size: threads,
    async burst(k, request) {
      if (failure) throw failure;
      const worker = pool[k]!;
      const done = reply(worker);
      worker.postMessage(request);
      await done;
    },
  };
}

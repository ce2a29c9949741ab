// The fixed-rate loop, in a worker_thread of its own: no event loop and no timer granularity in
// the way. It sleeps with Atomics.wait to each deadline on a fixed grid (no drift), preads
// /proc/PID/statm through a kept-open fd, and posts the readings in batches as (t, rss) pairs.
// Runs compiled (dist/server/sampling/sampler-thread.js), like the workers.
import { parentPort, workerData } from 'node:worker_threads';
import { openStatm, type StatmReader } from './proc-statm.js';

export interface SamplerThreadData {
  pid: number;
  hz: number;
  /** Post a batch at least this often (ms): the latency every reading waits at most. */
  batchMs: number;
  bytesPerPage: number;
  /** Int32Array over it: [0] becomes 1 when the main thread asks the loop to stop. */
  control: SharedArrayBuffer;
}

/** A Float64Array of (t, rss) pairs, or the end of the loop (always the last message). */
export type SamplerThreadMessage = Float64Array | { end: 'stopped' | 'exited' | 'error'; error?: string };

/** Index of the stop flag in control. */
export const STOP = 0;

function loop(statm: StatmReader, { hz, batchMs }: SamplerThreadData, stop: Int32Array): 'stopped' | 'exited' {
  const periodMs = 1000 / hz;
  const capacity = Math.ceil(batchMs / periodMs) + 1;
  const batch = new Float64Array(capacity * 2);
  let n = 0;
  const post = () => {
    if (n === 0) return;
    const out = batch.slice(0, n * 2);
    parentPort!.postMessage(out satisfies SamplerThreadMessage, [out.buffer]);
    n = 0;
  };
  let next = performance.now();
  let lastPost = next;
  try {
    while (Atomics.load(stop, STOP) === 0) {
      const wait = next - performance.now();
      // 'ok' or 'not-equal': the main thread set the stop flag; re-check it.
      if (wait > 0 && Atomics.wait(stop, STOP, 0, wait) !== 'timed-out') continue;
      const at = performance.now();
      const rss = statm.read();
      if (rss === undefined) return 'exited';
      // A zombie (exited, not yet reaped) reads as 0 pages: not a real reading.
      if (rss > 0) {
        batch[n * 2] = performance.timeOrigin + at;
        batch[n * 2 + 1] = rss;
        n++;
      }
      if (n === capacity || at - lastPost >= batchMs) {
        post();
        lastPost = at;
      }
      next += periodMs;
      if (next <= at) next = at + periodMs; // fell behind (descheduled): resync, never burst
    }
    return 'stopped';
  } finally {
    post();
  }
}

if (parentPort) {
  const data = workerData as SamplerThreadData;
  let end: SamplerThreadMessage;
  try {
    const statm = openStatm(data.pid, data.bytesPerPage);
    try {
      end = { end: loop(statm, data, new Int32Array(data.control)) };
    } finally {
      statm.close();
    }
  } catch (error) {
    end = { end: 'error', error: (error as Error).message };
  }
  parentPort.postMessage(end);
}

// The fixed-rate loop, in a worker_thread of its own: no event loop and no timer granularity in
// the way. It sleeps with Atomics.wait to each deadline on a fixed grid (no drift), preads
// /proc/PID/statm through a kept-open fd, and posts the readings in batches as packed (t, rss)
// pairs. It also checks every reading against the memory cap, at MEMORY_WATCH_HZ or more whatever
// rate the run records at (readings between recorded samples are only checked), and reports the
// first one over it at once, recorded, so the chart shows the breach.
// A thread is started ahead of its run (thread start-up takes ~30-50 ms, a gap at the very start
// of the timeline otherwise) and waits, blocked, until it is given a pid. One pid per thread.
// Runs compiled (dist/server/sampling/sampler-thread.js), like the workers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { PackedSamples } from './packed-samples.js';
import { openStatm, type StatmReader } from './proc-statm.js';
import { MAX_BATCH_MS, readingsPerSample } from './sampler-types.js';

export interface SamplerThreadData {
  bytesPerPage: number;
  /** CONTROL_BYTES: see the layout below. */
  control: SharedArrayBuffer;
}

/**
 * Layout of control: Int32 [0] is the state (0: waiting for a pid; > 0: sample that pid; -1:
 * stop), written last with Atomics.store; Int32 [1] is 1 once the thread is up and waiting;
 * Float64 [1] the rate (Hz), [2] the batch period (ms, read at every reading: it may change while
 * the loop runs, up to MAX_BATCH_MS) and [3] the memory cap (bytes, 0: none).
 */
export const CONTROL_BYTES = 32;
export const STATE = 0;
export const READY = 1;
export const STOPPED = -1;
export const HZ_SLOT = 1;
export const BATCH_SLOT = 2;
export const CAP_SLOT = 3;

/** A batch of readings; the first reading over the cap (sent right after its batch); or the end of the loop (always last). */
export type SamplerThreadMessage = PackedSamples | { breach: number } | { end: 'stopped' | 'exited' | 'error'; error?: string };


function loop(statm: StatmReader, pid: number, state: Int32Array, settings: Float64Array): 'stopped' | 'exited' {
  const hz = settings[HZ_SLOT]!;
  const capBytes = settings[CAP_SLOT]!;
  const every = readingsPerSample(hz);
  const periodMs = 1000 / hz / every;
  const capacity = Math.ceil((MAX_BATCH_MS * hz) / 1000) + 2; // + the breach, which may fall between samples
  const batch = new Float64Array(capacity * 2);
  let n = 0;
  const post = () => {
    if (n === 0) return;
    const out = batch.slice(0, n * 2);
    parentPort!.postMessage(out satisfies SamplerThreadMessage, [out.buffer]);
    n = 0;
  };
  let breached = capBytes <= 0; // no cap: nothing to watch
  let next = performance.now();
  let lastPost = next;
  try {
    let reading = 0;
    while (Atomics.load(state, STATE) === pid) {
      const wait = next - performance.now();
      // 'ok' or 'not-equal': the main thread changed the state (stop); re-check it.
      if (wait > 0 && Atomics.wait(state, STATE, pid, wait) !== 'timed-out') continue;
      const at = performance.now();
      const rss = statm.read();
      if (rss === undefined) return 'exited';
      const onGrid = reading++ % every === 0;
      const breach = !breached && rss > capBytes;
      // A zombie (exited, not yet reaped) reads as 0 pages: not a real reading.
      if (rss > 0 && (onGrid || breach)) {
        batch[n * 2] = performance.timeOrigin + at;
        batch[n * 2 + 1] = rss;
        n++;
      }
      if (breach) {
        breached = true;
        post();
        parentPort!.postMessage({ breach: rss } satisfies SamplerThreadMessage);
        lastPost = at;
      } else if (n === capacity || at - lastPost >= settings[BATCH_SLOT]!) {
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

/**
 * Asks the scheduler to run this thread first when it wakes: it sleeps ~97 % of the time, so it
 * takes little from anyone, but on a busy machine a woken thread can wait milliseconds for a core,
 * and that is a gap in the timeline. Best first: SCHED_FIFO at the lowest real-time priority (it
 * then preempts every ordinary thread at once; the kernel's RT throttling, sched_rt_runtime_us,
 * still caps real-time threads at 95 % of a core), else nice -10; for this thread only (its tid,
 * from /proc/thread-self). Both need CAP_SYS_NICE (or RLIMIT_RTPRIO / RLIMIT_NICE); without it the
 * thread runs at the default priority. MEMTIDE_SAMPLER_RT=0 skips the real-time step.
 */
function raisePriority(): void {
  try {
    const tid = String(Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]));
    if (process.env.MEMTIDE_SAMPLER_RT !== '0') {
      // Node has no sched_setscheduler: util-linux's chrt sets it for this tid.
      const chrt = spawnSync('chrt', ['--fifo', '--pid', String(SAMPLER_RT_PRIORITY), tid], { stdio: 'ignore', timeout: 2000 });
      if (chrt.status === 0) return;
    }
    setPriority(Number(tid), SAMPLER_NICE);
  } catch {
    // EACCES/EPERM for an ordinary user: fine, just less regular under load.
  }
}
export const SAMPLER_RT_PRIORITY = 1;
export const SAMPLER_NICE = -10;

if (parentPort) {
  raisePriority();
  const { bytesPerPage, control } = workerData as SamplerThreadData;
  const state = new Int32Array(control, 0, 2);
  const settings = new Float64Array(control);
  Atomics.store(state, READY, 1);
  let pid: number;
  while ((pid = Atomics.load(state, STATE)) === 0) Atomics.wait(state, STATE, 0);
  let end: SamplerThreadMessage = { end: 'stopped' };
  if (pid > 0) {
    try {
      const statm = openStatm(pid, bytesPerPage);
      try {
        end = { end: loop(statm, pid, state, settings) };
      } finally {
        statm.close();
      }
    } catch (error) {
      end = { end: 'error', error: (error as Error).message };
    }
  }
  parentPort.postMessage(end);
}

// A memtide worker: `node --expose-gc node-worker.js '<spec json>'`. Walks the phases its spec lists
// and reports each edge on fd 3 with V8's and the C allocator's own figures.
import { closeSync, openSync, readSync } from 'node:fs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { KNOB_ENV_NAMES } from '../../shared/knob-env.js';
import type { WorkerSpec } from '../../shared/protocol/worker.js';
import type { AnyPhaseName } from '../../shared/phases.js';
import type { HeapFigures } from '../../shared/run-record.js';
import { loadAllocatorProbe, type AllocatorProbe } from './node-allocator.js';
import { compileCode, readCode, UserCodeError } from './node-custom-code.js';
import { NODE_EXPERIMENT_CODE, type NodeExperiment } from './node-experiments.js';
import { parseWorkerSpec } from './parse-worker-spec.js';
import { now, report, waitForAck } from './worker-channel.js';

/** The collect phase stops waiting for V8 to hand back ArrayBuffer memory after this long. */
const RELEASE_WAIT_CAP_MS = 2000;
/** arrayBuffers within this of its baseline counts as swept (V8's own buffers move by ~0.6 MiB). */
const SWEPT_SLACK = 1024 * 1024;
/** RSS counts as steady when it moved less than STEADY_BYTES over STEADY_MS; waited for at most STEADY_CAP_MS. */
const STEADY_MS = 25;
const STEADY_BYTES = 128 * 1024;
const STEADY_CAP_MS = 1000;

const statm = (() => {
  try {
    return openSync('/proc/self/statm', 'r');
  } catch {
    return undefined;
  }
})();
const statmBytes = Buffer.alloc(128);
/** RSS from /proc/self/statm: memoryUsage().rss reads /proc/self/stat, which lags by up to ~0.4 MiB here. */
function ownRss(): number {
  if (statm === undefined) return process.memoryUsage.rss();
  const n = readSync(statm, statmBytes, 0, statmBytes.length, 0);
  return Number(statmBytes.toString('latin1', 0, n).split(' ')[1]) * 4096;
}

function v8Figures(): NonNullable<HeapFigures['v8']> {
  let used = 0;
  let physical = 0;
  let newSpacePhysical = 0;
  for (const space of getHeapSpaceStatistics()) {
    used += space.space_used_size;
    physical += space.physical_space_size;
    if (space.space_name === 'new_space') newSpacePhysical = space.physical_space_size;
  }
  return { used, physical, newSpacePhysical };
}

function heapFigures(extra?: Partial<HeapFigures>): HeapFigures {
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss: ownRss(), heapTotal, heapUsed, external, arrayBuffers, ...extra };
}

/** At a phase end: also V8's spaces and the C allocator's own counts (when koffi is there). */
const phaseEndFigures = (allocator: AllocatorProbe | undefined, extra: Partial<HeapFigures>): HeapFigures =>
  heapFigures({ ...extra, v8: v8Figures(), ...allocator?.figures() });

/** The phase under way, named in an error report. */
let current: AnyPhaseName | undefined;

const knobEnvSeen = (): Record<string, string> =>
  Object.fromEntries(KNOB_ENV_NAMES.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));

async function main(): Promise<void> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the worker needs --expose-gc');
  const spec: WorkerSpec = parseWorkerSpec(process.argv[2]);
  // The user's code (custom runs) is compiled before anything else: a syntax error ends the run at once.
  const custom = spec.codeFd === undefined ? undefined : compileCode(readCode(spec.codeFd));
  const code: NodeExperiment | undefined = custom ? { allocate: () => custom.run('allocate'), unreference: () => custom.run('unreference') }
    : Object.hasOwn(NODE_EXPERIMENT_CODE, spec.experiment) ? NODE_EXPERIMENT_CODE[spec.experiment as keyof typeof NODE_EXPERIMENT_CODE] : undefined;
  if (!code) throw new Error(`unknown experiment ${spec.experiment}`);
  const allocator = await loadAllocatorProbe();
  if (!allocator && spec.phases.includes('trim')) throw new Error('the trim phase needs koffi (npm install koffi)');
  const total = spec.params.n ?? 0;
  // Progress only where the worker counts the items itself: the user's loop cannot be counted.
  const progress = (done: number): Partial<HeapFigures> => (custom ? {} : { progress: [done, total] });

  let lastReport = 0;
  const tick = (done: number) => {
    const t = now();
    if (t - lastReport < spec.reportEveryMs) return;
    lastReport = t;
    report({ type: 'heap', t, heap: heapFigures(current === 'allocate' ? progress(done) : {}) });
  };
  /** Idles for ms, still reporting: V8 hands freed pages back on its own time. */
  const idle = async (ms: number) => {
    const until = now() + ms;
    while (now() < until) {
      await sleep(Math.min(spec.reportEveryMs, until - now()));
      tick(0);
    }
  };

  report({ type: 'ready', t: now(), pid: process.pid, runtime: 'node', version: process.version, env: knobEnvSeen() });
  // Setup (imports, helpers) runs before baseline, so what it loads is part of the baseline.
  custom?.run('setup');
  // So does what an experiment sets up (thread-arenas' threads).
  const prepared = await code.prepare?.(spec.params);

  let data: unknown;
  let arrayBuffersAtBaseline = 0;
  let releaseStart: number | undefined;
  const actions: Record<AnyPhaseName, () => unknown> = {
    baseline: async () => {
      await idle(spec.baselineMs);
      gc();
      arrayBuffersAtBaseline = process.memoryUsage().arrayBuffers;
    },
    allocate: async () => {
      data = await code.allocate(spec.params, tick, prepared);
    },
    unreference: () => (data = code.unreference(data, spec.params)),
    collect: async () => {
      gc();
      releaseStart = now();
      await untilReleased(gc, arrayBuffersAtBaseline);
    },
    trim: () => allocator!.trim(),
    settle: () => idle(spec.settleMs),
  };

  for (const phase of spec.phases) {
    current = phase;
    lastReport = now();
    report({ type: 'phase', phase, edge: 'start', t: lastReport, heap: heapFigures() });
    await actions[phase]();
    // V8's background threads go on freeing after a GC inside the phase: the end is read once RSS is still.
    if (phase !== 'settle') await untilRssSteady();
    const releaseWaitMs = phase === 'collect' && releaseStart !== undefined ? now() - releaseStart : undefined;
    const extra: Partial<HeapFigures> = phase === 'allocate' ? progress(total)
      : phase === 'collect' && releaseWaitMs !== undefined ? { releaseWaitMs } : {};
    lastReport = now();
    report({ type: 'phase', phase, edge: 'end', t: lastReport, heap: phaseEndFigures(allocator, extra) });
    waitForAck();
  }
  // Survivors (fragmentation) must stay reachable until the end, or the GC could take them early.
  if (data === Symbol.for('never')) console.log(data);
  report({ type: 'done', t: now() });
}

/**
 * After gc() returns, V8 frees ArrayBuffer backing stores on a background thread (its
 * ArrayBufferSweeper) and unmaps freed pages a few ms later; the next full GC first waits for both
 * (v8/src/heap/array-buffer-sweeper.cc EnsureFinished). So: one more gc(), and more while
 * arrayBuffers keeps falling, bounded. Returns how long that took (ms).
 */
async function untilReleased(gc: () => void, arrayBuffersAtBaseline: number): Promise<void> {
  const start = now();
  let previous = Number.POSITIVE_INFINITY;
  for (;;) {
    await nextTurn();
    gc();
    const arrayBuffers = process.memoryUsage().arrayBuffers;
    if (arrayBuffers <= arrayBuffersAtBaseline + SWEPT_SLACK || previous - arrayBuffers < SWEPT_SLACK) break;
    if (now() - start >= RELEASE_WAIT_CAP_MS) break;
    previous = arrayBuffers;
  }
}

/**
 * V8 hands pages it freed back to the OS from a background task (its MemoryAllocator::Unmapper),
 * after the GC that freed them: wait, bounded, until RSS stops moving, so the collect phase ends
 * with the memory really gone (seen: fragmentation 10⁶, 18 MiB unmapped ~10 ms after gc()).
 */
async function untilRssSteady(): Promise<void> {
  const start = now();
  const window: { t: number; rss: number }[] = [];
  while (now() - start < STEADY_CAP_MS) {
    const t = now();
    window.push({ t, rss: ownRss() });
    while (window[0]!.t < t - STEADY_MS) window.shift();
    const rss = window.map((w) => w.rss);
    if (t - start >= STEADY_MS && Math.max(...rss) - Math.min(...rss) <= STEADY_BYTES) return;
    await sleep(2);
  }
}

main().then(
  () => {
    if (statm !== undefined) closeSync(statm);
    process.exit(0);
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof UserCodeError ? { field: error.field, line: error.line, column: error.column, type: error.type } : undefined;
    report({ type: 'error', t: now(), message, ...(current && { phase: current }), ...(code && { code }) });
    process.exit(1);
  },
);

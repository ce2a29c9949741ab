// A memtide worker: `node --expose-gc node-worker.js '<spec json>'`. Walks the phases of one
// experiment and reports each boundary, with V8's own figures, to the server on fd 3.
import { readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KNOB_ENV_NAMES } from '../../shared/knob-env.js';
import { PHASES } from '../../shared/phases.js';
import type { WorkerSpec } from '../../shared/protocol/worker.js';
import type { HeapFigures, Params, PhaseName } from '../../shared/run-record.js';
import { NODE_EXPERIMENT_CODE } from './node-experiments.js';
import { now, report } from './worker-channel.js';

const REPORT_EVERY_MS = 50;
const BASELINE_MS = 300;
const SETTLE_MS = 1000;

function heapFigures(): HeapFigures {
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

let lastReport = 0;
function tick(): void {
  const t = now();
  if (t - lastReport < REPORT_EVERY_MS) return;
  lastReport = t;
  report({ type: 'heap', t, heap: heapFigures() });
}

let current: PhaseName | undefined;
function edge(phase: PhaseName, which: 'start' | 'end'): void {
  current = which === 'start' ? phase : current;
  lastReport = now();
  report({ type: 'phase', phase, edge: which, t: lastReport, heap: heapFigures() });
  if (which === 'end') waitForAck();
}

const ackByte = new Uint8Array(1);
/** After a phase end the server reads /proc/PID/smaps while this worker stands still on stdin. */
function waitForAck(): void {
  for (;;) {
    try {
      if (readSync(0, ackByte, 0, 1, null) === 0) throw new Error('the server closed the acknowledgement pipe');
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const knobEnvSeen = (): Record<string, string> =>
  Object.fromEntries(KNOB_ENV_NAMES.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));

/** malloc_trim(0) from libc through koffi, loaded before baseline so koffi's own memory is in it. */
async function loadMallocTrim(): Promise<(pad: number) => number> {
  const koffi = (await import('koffi')).default;
  return koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
}

/** Idle for ms while still reporting: this is when V8 hands freed pages back. */
async function idle(ms: number): Promise<void> {
  const until = now() + ms;
  while (now() < until) {
    await sleep(Math.min(REPORT_EVERY_MS, until - now()));
    tick();
  }
}

/**
 * The server validated the spec against shared/ before spawning; this re-check is by hand because
 * loading zod here would add ~14 MiB to the very baseline every percentage is measured against.
 */
function parseSpec(text: string | undefined): WorkerSpec {
  const spec = JSON.parse(text ?? 'null') as Partial<WorkerSpec> | null;
  if (typeof spec?.experiment !== 'string') throw new Error('bad spec: experiment must be a string');
  const params: Params = {};
  for (const [name, value] of Object.entries(spec.params ?? {})) {
    if (!Number.isSafeInteger(value)) throw new Error(`bad spec: params.${name} must be an integer`);
    params[name] = value;
  }
  return { experiment: spec.experiment, params, trim: spec.trim === true };
}

async function main(): Promise<void> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the worker needs --expose-gc');
  const { experiment, params, trim } = parseSpec(process.argv[2]);
  const code = Object.hasOwn(NODE_EXPERIMENT_CODE, experiment) ? NODE_EXPERIMENT_CODE[experiment as keyof typeof NODE_EXPERIMENT_CODE] : undefined;
  if (!code) throw new Error(`unknown experiment ${experiment}`);
  const mallocTrim = trim ? await loadMallocTrim() : undefined;

  report({ type: 'ready', t: now(), pid: process.pid, runtime: 'node', version: process.version, env: knobEnvSeen() });
  const [baseline, allocate, unreference, collect, settle] = PHASES;

  edge(baseline, 'start');
  await idle(BASELINE_MS);
  gc();
  edge(baseline, 'end');

  edge(allocate, 'start');
  let data: unknown = code.allocate(params, tick);
  edge(allocate, 'end');

  edge(unreference, 'start');
  data = code.unreference(data, params);
  edge(unreference, 'end');

  edge(collect, 'start');
  gc();
  edge(collect, 'end');

  if (mallocTrim) {
    edge('trim', 'start');
    mallocTrim(0);
    edge('trim', 'end');
  }

  edge(settle, 'start');
  await idle(SETTLE_MS);
  edge(settle, 'end');

  // Survivors (fragmentation) must stay reachable until the end, or the GC could take them early.
  if (data === Symbol.for('never')) console.log(data);
  report({ type: 'done', t: now() });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    report({ type: 'error', t: now(), message: error instanceof Error ? error.message : String(error), phase: current });
    process.exit(1);
  },
);

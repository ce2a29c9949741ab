// One probe of a watched process: whether it may run (refusals name the reason and touch nothing),
// and running it — Node's GC through the inspector, CPython's GC and malloc_trim through gdb.
import { formatMiB } from '../../shared/format.js';
import type { ProcessMemoryUsage } from '../../shared/record-parts.js';
import type { ProbeKind, ProbeMethod, ProbePermission, WatchTarget } from '../../shared/watch-record.js';
import { detectProcess, trimRefusal } from './detect-runtime.js';
import { parseGcMethod, parseResultLine, parseTrimAnswer, pythonGcCommands, TRIM_COMMANDS } from './gdb-commands.js';
import { runGdb } from './gdb-probe.js';
import { inspectorGc } from './inspector-probe.js';
import { probeRefusal, stillSameProcess } from './process-identity.js';

export interface ProbeSettings {
  /** gdb probes for this watch: asked for (probes: true), gdb installed, allowed by the server. */
  gdbProbes: ProbePermission;
  /** The inspector: allowed by the server (loopback, or MEMTIDE_ALLOW_PROBES=1). */
  inspectorProbes: ProbePermission;
  timeoutMs: number;
  gdbPath?: string;
  /** How long gdb gets after SIGINT (tests shorten it). */
  interruptGraceMs?: number;
}

export type ProbePlan =
  | { ok: true; kind: ProbeKind; method: 'inspector' }
  | { ok: true; kind: ProbeKind; method: 'gdb'; commands: string[] }
  | { ok: false; status: 403 | 409 | 503; error: string };

const refuse = (status: 403 | 409 | 503, error: string): ProbePlan => ({ ok: false, status, error });

function gdbRefusal(kind: ProbeKind, gdb: ProbePermission): ProbePlan | undefined {
  if (gdb.allowed) return undefined;
  return refuse(/not installed/.test(gdb.reason ?? '') ? 503 : 403, `${kind}: ${gdb.reason ?? 'gdb probes are off'}`);
}

/** Checks everything that can be checked without touching the target. */
export async function planProbe(kind: ProbeKind, target: WatchTarget, settings: ProbeSettings): Promise<ProbePlan> {
  const identity = { pid: target.pid, starttime: target.starttime };
  // Detected again now: an exec keeps the pid and start time but not the runtime, and SIGUSR1
  // kills a process that is not Node; a dlopen can bring another allocator.
  const detected = await detectProcess(target.pid);
  const runtime = detected?.runtime ?? 'other';
  let plan: ProbePlan;
  if (kind === 'gc' && runtime === 'node') {
    plan = settings.inspectorProbes.allowed ? { ok: true, kind, method: 'inspector' } : refuse(403, `gc: ${settings.inspectorProbes.reason}`);
  } else if (kind === 'gc' && runtime === 'python') {
    plan = gdbRefusal(kind, settings.gdbProbes) ?? { ok: true, kind, method: 'gdb', commands: pythonGcCommands() };
  } else if (kind === 'gc') {
    return refuse(409, `gc: pid ${target.pid} (${target.comm}) is neither Node nor CPython: memtide knows no garbage collector to ask`);
  } else {
    const refusal = gdbRefusal(kind, settings.gdbProbes);
    if (refusal) return refusal;
    const why = trimRefusal(target.pid, detected);
    plan = why ? refuse(409, why) : { ok: true, kind, method: 'gdb', commands: TRIM_COMMANDS };
  }
  if (!plan.ok) return plan;
  const state = probeRefusal(identity);
  return state ? refuse(409, `${kind}: ${state}`) : plan;
}

export interface ProbeOutcome {
  method: ProbeMethod;
  status: 'done' | 'failed' | 'aborted';
  pausedMs?: number;
  result?: string;
  error?: string;
  targetAtRisk?: boolean;
  heapBefore?: ProcessMemoryUsage;
  heapAfter?: ProcessMemoryUsage;
}

export async function executeProbe(plan: Extract<ProbePlan, { ok: true }>, target: WatchTarget, settings: ProbeSettings): Promise<ProbeOutcome> {
  const identity = { pid: target.pid, starttime: target.starttime };
  if (plan.method === 'inspector') {
    try {
      const gc = await inspectorGc(identity, settings.timeoutMs);
      return {
        method: 'inspector',
        status: 'done',
        pausedMs: gc.pausedMs,
        result: `HeapProfiler.collectGarbage: V8 heap used ${mib(gc.before.heapUsed)} → ${mib(gc.after.heapUsed)}, ArrayBuffers ${mib(gc.before.arrayBuffers)} → ${mib(gc.after.arrayBuffers)}${gc.opened ? ' (inspector opened with SIGUSR1, then closed)' : ''}`,
        ...(gc.closeProblem && { error: gc.closeProblem }),
        heapBefore: gc.before,
        heapAfter: gc.after,
      };
    } catch (error) {
      return { method: 'inspector', status: 'failed', error: `gc: ${(error as Error).message}` };
    }
  }
  // The last check, right before gdb attaches: the same process, still not stopped or traced.
  if (!stillSameProcess(identity)) return { method: 'gdb', status: 'failed', error: `${plan.kind}: pid ${target.pid} has exited` };
  const run = await runGdb(identity, plan.commands, { timeoutMs: settings.timeoutMs, gdbPath: settings.gdbPath, interruptGraceMs: settings.interruptGraceMs });
  const gcWay = plan.kind === 'gc' ? parseGcMethod(run.stdout) : undefined;
  const method: ProbeMethod = gcWay === 'pending' ? 'gdb-pending-call' : 'gdb';
  const base = { method, ...(run.pausedMs !== undefined && { pausedMs: run.pausedMs }), ...(run.targetAtRisk && { targetAtRisk: true }) };
  const answer = plan.kind === 'trim' ? parseTrimAnswer(run.stdout) : gcAnswer(gcWay, parseResultLine(run.stdout));
  if (run.status === 'done' && answer) return { ...base, status: 'done', result: answer, ...(run.note && { error: run.note }) };
  const error = [run.note, run.errors].filter(Boolean).join('; ') || 'gdb gave no answer';
  return { ...base, status: run.status === 'aborted' ? 'aborted' : 'failed', error: `${plan.kind}: ${error}`, ...(answer && { result: answer }) };
}

function gcAnswer(way: 'direct' | 'pending' | undefined, value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (way === 'pending') {
    return value === 0
      ? 'gc.collect() scheduled with Py_AddPendingCall: the main thread was busy, so it runs at its next bytecode (RSS 1 s later shows the effect)'
      : `Py_AddPendingCall refused (${value}): the queue of pending calls is full`;
  }
  return value < 0 ? 'gc.collect() raised an exception (cleared)' : `gc.collect() found ${value} unreachable objects`;
}

const mib = (bytes: number | undefined) => (bytes === undefined ? '?' : formatMiB(bytes));

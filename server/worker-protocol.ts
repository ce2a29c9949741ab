// The worker protocol as the server holds a worker to it (shapes in shared/protocol/worker.ts):
// every fd-3 line is one JSON message of the contract; phases start in the run's order, each ended
// once and only after it started; the allocator environment the worker reports is the one it was
// given. Pure checks returning what is wrong; run.ts fails the run with that text.
import { WorkerMessage } from '../shared/protocol/worker.js';
import type { Phase, RunRecord } from '../shared/run-record.js';
import { describeZodError, quote } from '../shared/validation.js';

/** A report line longer than this is not a report: the worker is writing without newlines. */
export const MAX_LINE_BYTES = 64 * 1024;
/** A worker reports its heap every ≤ 50 ms; far more than that is a flood, not a report. */
export const MAX_HEAP_REPORTS = 200_000;

export type PhaseMessage = Extract<WorkerMessage, { type: 'phase' }>;
export type ReadyMessage = Extract<WorkerMessage, { type: 'ready' }>;

export function parseWorkerLine(line: string): { ok: true; message: WorkerMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: `worker sent a line that is not JSON: ${quote(line)}` };
  }
  const parsed = WorkerMessage.safeParse(json);
  return parsed.success ? { ok: true, message: parsed.data } : { ok: false, error: `worker sent an invalid message: ${describeZodError(parsed.error)}` };
}

/** Why this phase edge breaks the order `expected`, given the phases seen so far; undefined if it does not. */
export function phaseEdgeError(phases: readonly Phase[], expected: readonly string[], message: PhaseMessage): string | undefined {
  if (message.edge === 'start') {
    const last = phases.at(-1);
    if (last && last.end === undefined) return `worker started phase ${message.phase} before ending ${last.name}`;
    const next = expected[phases.length];
    return message.phase === next ? undefined : `worker started phase ${message.phase} out of order (expected ${next ?? 'no more phases'})`;
  }
  return phases.some((p) => p.name === message.phase && p.end === undefined) ? undefined : `worker ended phase ${message.phase} that had not started`;
}

/** Records a phase edge that phaseEdgeError let through. */
export function applyPhaseEdge(phases: Phase[], message: PhaseMessage): void {
  if (message.edge === 'start') phases.push({ name: message.phase, start: message.t });
  else phases.find((p) => p.name === message.phase && p.end === undefined)!.end = message.t;
}

/** The phase the worker is in or has just left ('startup' before the first): where a kill happened. */
export const lastPhaseName = (phases: readonly Phase[]): string => phases.at(-1)?.name ?? 'startup';

/** The phase in progress, if one is: what a heap report between phases belongs to. */
export function openPhase(phases: readonly Phase[]): Phase['name'] | undefined {
  const last = phases.at(-1);
  return last && last.end === undefined ? last.name : undefined;
}

/**
 * Why the worker's ready message shows it is not running what was asked for: another allocator
 * environment than the one set, or another malloc mapped (`mallocLibrary`, from /proc/PID/maps).
 */
export function readyError(record: Pick<RunRecord, 'workerEnv' | 'knobs' | 'mallocLibrary'>, message: ReadyMessage): string | undefined {
  const sorted = (env: Record<string, string>) => JSON.stringify(Object.entries(env).sort());
  if (message.env && sorted(message.env) !== sorted(record.workerEnv)) {
    return `worker saw allocator environment ${JSON.stringify(message.env)}, not ${JSON.stringify(record.workerEnv)}`;
  }
  const wanted = record.knobs.allocator ?? 'glibc';
  if (record.mallocLibrary && record.mallocLibrary !== wanted) return `allocator ${wanted} was asked for, but the worker has ${record.mallocLibrary} mapped`;
  return undefined;
}

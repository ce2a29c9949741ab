// How a run ended, from what is known once its worker has exited: the ladder run.ts used to climb
// inline, as one pure function (run-outcome.test.ts walks every rung).
import type { Summary } from '../shared/run-record.js';
import { isV8HeapOutOfMemory, memoryCapReason } from './run-limits.js';

export interface RunEnding {
  /** Why the run was cancelled (by the user, or a shutdown), if it was. */
  cancelled?: string;
  /** Why the server failed the run (a cap, a protocol breach, a worker's error report), if it did. */
  failure?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The tail of the worker's stderr. */
  stderr: string;
  /** The worker said `done`. */
  done: boolean;
  memoryCapMiB?: number;
  /** The phase the worker was in or had just left (worker-protocol.ts lastPhaseName). */
  lastPhase: string;
  /** The summary of the timeline, or null when it is incomplete; asked only for a clean exit. */
  summarize(): Summary | null;
}

export type RunOutcome = { status: 'finished'; summary: Summary } | { status: 'failed' | 'cancelled'; error: string };

/** The line of a worker's stderr that says why it died: Node ends an uncaught error with "Node.js vX". */
export function crashLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Node\.js v\d/.test(l));
  return lines.findLast((l) => /^(\w*Error|FATAL ERROR)\b/.test(l)) ?? lines.at(-1);
}

export function runOutcome(ending: RunEnding): RunOutcome {
  if (ending.cancelled) return { status: 'cancelled', error: ending.cancelled };
  if (ending.failure) return { status: 'failed', error: ending.failure };
  // V8 aborts on its own at --max-old-space-size (the cap), often before the RSS watchdog sees it.
  if (ending.memoryCapMiB !== undefined && isV8HeapOutOfMemory(ending.stderr)) {
    return { status: 'failed', error: memoryCapReason(ending.memoryCapMiB, ending.lastPhase, ' (V8 heap limit)') };
  }
  if (ending.code !== 0 || !ending.done) {
    const how = ending.signal ? `killed by ${ending.signal}` : `exited with code ${ending.code}`;
    const line = crashLine(ending.stderr);
    return { status: 'failed', error: `worker ${how}${ending.done ? '' : ' before finishing'}${line ? `: ${line}` : ''}` };
  }
  const summary = ending.summarize();
  if (!summary) return { status: 'failed', error: 'worker finished but the timeline is incomplete (missing a phase end or RSS samples)' };
  return { status: 'finished', summary };
}

// Where a watched process's memory is: totals from /proc/PID/smaps_rollup and the Rss of every
// mapping in /proc/PID/smaps, summed per kind — glibc's brk heap, its other arenas, thread stacks,
// other anonymous mmaps, files. Parsing is pure; reading is one function (called from the memory
// thread, never on the server's event loop: a 40 MB smaps read takes ~240 ms).
import { readdirSync, readFileSync } from 'node:fs';
import type { WatchBreakdown } from '../../shared/watch-record.js';
import { ARENA_HEAP_BYTES, classifyMappings, parseSmapsMappings, parseSmapsRollup } from '../sampling/proc-smaps.js';

// The mapping classifier is the one runs use (proc-smaps.ts): a watch also passes its threads' stack pointers.
export { ARENA_HEAP_BYTES, classifyMappings, parseSmapsMappings };
export type Kinds = Pick<WatchBreakdown, 'brkHeap' | 'arenaHeaps' | 'anonMappings' | 'fileMappings' | 'stacks' | 'otherMappings' | 'mappings'>;

/** /proc/PID/task/TID/syscall: "nr args… sp pc" while blocked, "-1 sp pc" outside a syscall, "running". */
export function parseSyscallStackPointer(text: string): number | undefined {
  const fields = text.trim().split(' ');
  if (fields.length < 3) return undefined;
  const sp = fields[fields.length - 2]!;
  return /^0x[0-9a-f]+$/.test(sp) ? parseInt(sp, 16) : undefined;
}

/** The stack pointers of a process's threads that are not running right now (at most 256 threads). */
export function readStackPointers(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`).slice(0, 256)) {
      try {
        const sp = parseSyscallStackPointer(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'latin1'));
        if (sp !== undefined) out.push(sp);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // the process ended meanwhile
  }
  return out;
}

export type BreakdownReading = { ok: true; breakdown: WatchBreakdown } | { ok: false; gone: boolean; error: string };

/** Reads both files now; `gone` when the process has exited. */
export function readWatchBreakdown(pid: number, now: () => number): BreakdownReading {
  const t = now();
  const started = performance.now();
  try {
    const rollup = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    const mappings = parseSmapsMappings(readFileSync(`/proc/${pid}/smaps`, 'latin1'));
    const kinds = classifyMappings(mappings, readStackPointers(pid));
    return { ok: true, breakdown: { t, ...rollup, ...kinds, readMs: performance.now() - started } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, gone: code === 'ENOENT' || code === 'ESRCH', error: `reading /proc/${pid}/smaps: ${(error as Error).message}` };
  }
}

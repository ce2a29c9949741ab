// Where a watched process's memory is: totals from /proc/PID/smaps_rollup and the Rss of every
// mapping in /proc/PID/smaps, summed per kind — glibc's brk heap, its other arenas, thread stacks,
// other anonymous mmaps, files. Parsing is pure; reading is one function (called from the memory
// thread, never on the server's event loop: a 40 MB smaps read takes ~240 ms).
import { readdirSync, readFileSync } from 'node:fs';
import type { WatchBreakdown } from '../../shared/watch-record.js';
import { MiB } from '../../shared/units.js';
import { parseSmapsRollup } from '../sampling/proc-smaps.js';

export type Kinds = Pick<WatchBreakdown, 'brkHeap' | 'arenaHeaps' | 'anonMappings' | 'fileMappings' | 'stacks' | 'otherMappings' | 'mappings'>;

/**
 * glibc's non-main arenas live in "heaps" mmap'd at HEAP_MAX_SIZE alignment (2 × the 32 MiB
 * DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB on 64-bit), read-write up to their top and PROT_NONE after
 * it (malloc/arena.c, new_heap). An anonymous mapping at a 64 MiB boundary that, with the PROT_NONE
 * mapping right after it, spans exactly n × 64 MiB is taken for one.
 */
export const ARENA_HEAP_BYTES = 64 * MiB;

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rss: number;
}

/** "55d0c9a2e000-55d0c9a4f000 rw-p 00000000 00:00 0   [heap]"; the path is optional. */
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ \S+ \d+\s*(.*)$/;

export function parseSmapsMappings(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('Rss:')) {
      if (current) current.rss = Number(line.slice(4).trim().split(/\s+/)[0]) * 1024;
      continue;
    }
    const c = line.charCodeAt(0);
    // Header lines start with a hex digit; field lines ("Size:", "VmFlags:") with an upper-case letter.
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) continue;
    const header = HEADER.exec(line);
    if (!header) continue;
    current = { start: parseInt(header[1]!, 16), end: parseInt(header[2]!, 16), perms: header[3]!, path: header[4]!.trim(), rss: 0 };
    mappings.push(current);
  }
  return mappings;
}

const isAnonymous = (m: Mapping) => m.path === '' || m.path.startsWith('[anon:');

function isArenaHeap(m: Mapping, next: Mapping | undefined): boolean {
  if (!isAnonymous(m) || !m.perms.startsWith('rw') || m.start % ARENA_HEAP_BYTES !== 0) return false;
  const reserved = next && next.start === m.end && next.perms.startsWith('---') && isAnonymous(next) ? next.end : m.end;
  return (reserved - m.start) % ARENA_HEAP_BYTES === 0;
}

/** Sums Rss per kind. `stackPointers`: where blocked threads' stacks are (see readStackPointers). */
export function classifyMappings(mappings: readonly Mapping[], stackPointers: readonly number[] = []): Kinds {
  const kinds: Kinds = { brkHeap: 0, arenaHeaps: 0, anonMappings: 0, fileMappings: 0, stacks: 0, otherMappings: 0, mappings: mappings.length };
  mappings.forEach((m, i) => {
    if (m.path === '[heap]') kinds.brkHeap += m.rss;
    else if (m.path === '[stack]' || stackPointers.some((sp) => sp >= m.start && sp < m.end)) kinds.stacks += m.rss;
    else if (isAnonymous(m)) {
      if (isArenaHeap(m, mappings[i + 1])) kinds.arenaHeaps += m.rss;
      else kinds.anonMappings += m.rss;
    } else if (m.path.startsWith('[')) kinds.otherMappings += m.rss; // [vdso], [vvar], [anon_shmem:…]
    else kinds.fileMappings += m.rss;
  });
  return kinds;
}

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

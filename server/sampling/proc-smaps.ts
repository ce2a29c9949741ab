// Where a process's memory is: totals from /proc/PID/smaps_rollup and, per kind of mapping, the Rss
// of /proc/PID/smaps — glibc's brk heap ([heap]), its other arenas' heaps, other anonymous mmaps,
// files. Read at phase ends only (~0.5 ms on a small process, ~10 ms at 1 GiB), while the worker waits.
import { readFileSync } from 'node:fs';
import type { MemoryBreakdown, PhaseName } from '../../shared/run-record.js';

export type Breakdown = Omit<MemoryBreakdown, 't' | 'phase'>;

const KB = 1024;

/** "Rss: 1764 kB" lines of smaps_rollup → bytes. */
export function parseSmapsRollup(text: string): Pick<Breakdown, 'rss' | 'pss' | 'anonymous' | 'privateDirty' | 'swap'> {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!match) throw new Error(`smaps_rollup: no ${name} line`);
    return Number(match[1]) * KB;
  };
  return { rss: field('Rss'), pss: field('Pss'), anonymous: field('Anonymous'), privateDirty: field('Private_Dirty'), swap: field('Swap') };
}

/** One mapping of /proc/PID/smaps: its range, permissions, path (empty when anonymous) and Rss (bytes). */
export interface Mapping {
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
      if (current) current.rss = Number(line.slice(4).trim().split(/\s+/)[0]) * KB;
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

/**
 * glibc's non-main arenas live in "heaps" mmap'd at HEAP_MAX_SIZE alignment (2 × the 32 MiB
 * DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB on 64-bit), read-write up to their top and PROT_NONE after
 * it (malloc/arena.c new_heap). An anonymous mapping at a 64 MiB boundary that, with the PROT_NONE
 * mapping right after it, spans exactly n × 64 MiB is taken for one.
 */
export const ARENA_HEAP_BYTES = 64 * 1024 * 1024;

const isAnonymous = (m: Mapping) => m.path === '' || m.path.startsWith('[anon:');

export function isArenaHeap(m: Mapping, next: Mapping | undefined): boolean {
  if (!isAnonymous(m) || !m.perms.startsWith('rw') || m.start % ARENA_HEAP_BYTES !== 0) return false;
  const reserved = next && next.start === m.end && next.perms.startsWith('---') && isAnonymous(next) ? next.end : m.end;
  return (reserved - m.start) % ARENA_HEAP_BYTES === 0;
}

export interface MappingKinds {
  brkHeap: number;
  arenaHeaps: number;
  anonMappings: number;
  fileMappings: number;
  /** [stack], and the mappings holding a blocked thread's stack pointer when they are given. */
  stacks: number;
  /** [vdso], [vvar], [anon_shmem:…] and the like. */
  otherMappings: number;
  mappings: number;
}

/** Rss summed per kind of mapping: one classifier for runs and watches. `stackPointers`: where threads' stacks are. */
export function classifyMappings(mappings: readonly Mapping[], stackPointers: readonly number[] = []): MappingKinds {
  const kinds: MappingKinds = { brkHeap: 0, arenaHeaps: 0, anonMappings: 0, fileMappings: 0, stacks: 0, otherMappings: 0, mappings: mappings.length };
  mappings.forEach((m, i) => {
    if (m.path === '[heap]') kinds.brkHeap += m.rss;
    else if (m.path === '[stack]' || stackPointers.some((sp) => sp >= m.start && sp < m.end)) kinds.stacks += m.rss;
    else if (isAnonymous(m)) {
      if (isArenaHeap(m, mappings[i + 1])) kinds.arenaHeaps += m.rss;
      else kinds.anonMappings += m.rss;
    } else if (m.path.startsWith('[')) kinds.otherMappings += m.rss;
    else kinds.fileMappings += m.rss;
  });
  return kinds;
}

/** Rss of every mapping in /proc/PID/smaps, summed per kind as a run records it (stacks among the rest). */
export function parseSmapsKinds(text: string): Pick<Breakdown, 'brkHeap' | 'anonMappings' | 'fileMappings' | 'otherMappings'> & { arenaHeaps: number } {
  const { brkHeap, arenaHeaps, anonMappings, fileMappings, stacks, otherMappings } = classifyMappings(parseSmapsMappings(text));
  return { brkHeap, arenaHeaps, anonMappings, fileMappings, otherMappings: otherMappings + stacks };
}

/** Both files of a live process; undefined once it has gone. */
export function readMemoryBreakdown(pid: number, phase: PhaseName, t: number): MemoryBreakdown | undefined {
  try {
    const rollup = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    const kinds = parseSmapsKinds(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
    return { t, phase, ...rollup, ...kinds };
  } catch {
    return undefined;
  }
}

/** Which malloc a process has mapped: jemalloc when libjemalloc is among its mappings. */
export function parseMallocLibrary(maps: string): 'glibc' | 'jemalloc' {
  return /\/libjemalloc\.so[.\d]*$/m.test(maps) ? 'jemalloc' : 'glibc';
}

export function readMallocLibrary(pid: number): 'glibc' | 'jemalloc' | undefined {
  try {
    return parseMallocLibrary(readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch {
    return undefined;
  }
}

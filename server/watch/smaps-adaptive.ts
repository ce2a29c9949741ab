// How often a watch reads the breakdown: a big process's smaps walk takes milliseconds (measured
// here: ~8.5 ms per GiB of RSS + ~4 ms per 1000 mappings) and holds the target's mmap lock for
// reading all along, so a target that maps, unmaps or grows its heap meanwhile waits. The interval
// follows the read's cost so reading stays under ~1 % of the time, and every change is recorded.
// Measured effect on a 1 GiB / 10k-mapping target: smaps every 1 s ≈ no slowdown, every 100 ms
// 15 % slower (research notes, docs in bench/RESULTS.md).
import { now as clock } from '../../shared/units.js';
import type { CgroupMemory, SmapsRate, WatchBreakdown } from '../../shared/watch-record.js';
import { readCgroupMemory, type CgroupLocation } from './cgroup-memory.js';
import { readWatchBreakdown } from './smaps-breakdown.js';

export const SMAPS_INTERVAL = {
  /** The interval is at least this many times the (smoothed) read time: ≤ 1 % of the time. */
  costFactor: 100,
  minMs: 500,
  maxMs: 60_000,
  /** The cost is the lower median of the last reads: one read slowed by a busy machine does not
   * count. The first read of a watch never does: measured ~25 ms against ~2 ms for the next ones
   * (a cold parser and page cache), it would hold the interval 10× too long until the next. */
  window: 5,
  /** A new interval is recorded when it differs from the last recorded one by more than this. */
  recordChange: 0.25,
} as const;

/** Pure: the interval after the reads that took `recentMs` (oldest first, the last `window` of them). */
export function nextInterval(recentMs: readonly number[]): number {
  const sorted = recentMs.slice(-SMAPS_INTERVAL.window).sort((a, b) => a - b);
  const cost = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  return Math.min(SMAPS_INTERVAL.maxMs, Math.max(SMAPS_INTERVAL.minMs, Math.round(SMAPS_INTERVAL.costFactor * cost)));
}

/** What the memory loop reports; `tag` answers a read asked for by a probe. */
export type MemoryEvent =
  | { type: 'breakdown'; breakdown: WatchBreakdown; tag?: number }
  | { type: 'cgroup'; cgroup: CgroupMemory }
  | { type: 'rate'; rate: SmapsRate }
  | { type: 'unreadable'; error: string; tag?: number }
  | { type: 'gone' };

export interface MemoryLoopOptions {
  pid: number;
  cgroup?: CgroupLocation;
  post(event: MemoryEvent): void;
}

/**
 * The loop's state, independent of what drives it (the memory thread, or a main-thread timer when
 * the compiled thread is missing): tick() reads and returns the delay to the next tick, or
 * undefined once the process has gone.
 */
export function createMemoryLoop({ pid, cgroup, post }: MemoryLoopOptions) {
  const recent: number[] = [];
  let warm = false;
  let recorded: number | undefined;
  let unreadable = false;
  const read = (tag?: number): boolean => {
    const reading = readWatchBreakdown(pid, clock);
    if (reading.ok) {
      post({ type: 'breakdown', breakdown: reading.breakdown, ...(tag !== undefined && { tag }) });
      if (!warm) {
        warm = true;
        return true;
      }
      recent.push(reading.breakdown.readMs);
      if (recent.length > SMAPS_INTERVAL.window) recent.shift();
      const intervalMs = nextInterval(recent);
      if (recorded === undefined || Math.abs(intervalMs - recorded) > SMAPS_INTERVAL.recordChange * recorded) {
        recorded = intervalMs;
        post({ type: 'rate', rate: { t: reading.breakdown.t, intervalMs, readMs: reading.breakdown.readMs } });
      }
      return true;
    }
    if (reading.gone) {
      post({ type: 'gone' });
      return false;
    }
    // Not readable (not dumpable, another user's): said once, and RSS sampling goes on.
    if (!unreadable || tag !== undefined) post({ type: 'unreadable', error: reading.error, ...(tag !== undefined && { tag }) });
    unreadable = true;
    return true;
  };
  return {
    tick(): number | undefined {
      if (!read()) return undefined;
      if (cgroup) {
        const figures = readCgroupMemory(cgroup, clock());
        if (figures) post({ type: 'cgroup', cgroup: figures });
      }
      return unreadable ? SMAPS_INTERVAL.maxMs : (recorded ?? SMAPS_INTERVAL.minMs);
    },
    /** A read now, for a probe's before/after snapshot. */
    readNow(tag: number): void {
      read(tag);
    },
  };
}

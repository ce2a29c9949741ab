// The process picker's filter, the same in the dashboard and in `memtide ps <filter>`.
import type { ProcessEntry } from './watch-record.js';

/** Every whitespace-separated word of `query` appears (any case) in the pid, command, runtime, allocator or user. */
export function matchesProcess(entry: ProcessEntry, query: string): boolean {
  const haystack = `${entry.pid} ${entry.command} ${entry.comm} ${entry.runtime} ${entry.allocator} ${entry.user ?? entry.uid}`.toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

// A watch of a running process, as recorded, streamed and stored. A watch is stored like a run
// (run-record.ts: kind 'watch', its RSS in `samples`, heap figures from the inspector in `heap`);
// what only a watch has is here: the target, the memory breakdowns read at an adaptive rate, the
// cgroup's figures, the user's markers and the probes (GC, malloc_trim) with what they returned.
import { z } from 'zod';
import { Count, ProcessMemoryUsage, SmapsFigures, Time, Verdict } from './record-parts.js';
import { RECORD_RUNTIMES } from './runtimes.js';

export const RECORD_KINDS = ['run', 'watch'] as const;
export const RecordKind = z.enum(RECORD_KINDS);
export type RecordKind = z.infer<typeof RecordKind>;

/** The malloc a process has mapped (read from /proc/PID/maps and its executable's symbols). */
export const MALLOC_KINDS = ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc', 'musl', 'unknown'] as const;
export const MallocKind = z.enum(MALLOC_KINDS);
export type MallocKind = z.infer<typeof MallocKind>;

export const ProcessRuntime = z.enum(RECORD_RUNTIMES);
export type ProcessRuntime = z.infer<typeof ProcessRuntime>;

/** One line of the process picker (GET /api/processes). */
export const ProcessEntry = z.object({
  pid: z.number().int().positive(),
  ppid: Count,
  uid: Count,
  user: z.string().optional(),
  /** The kernel's short name (/proc/PID/comm) and the full command line. */
  comm: z.string(),
  command: z.string(),
  exe: z.string().optional(),
  rss: Count,
  runtime: ProcessRuntime,
  /** "3.11" for CPython when its library or executable name says so. */
  runtimeVersion: z.string().optional(),
  allocator: MallocKind,
  /** Why this process may not be watched (PID 1, this server, one of its workers…). */
  refusal: z.string().optional(),
});
export type ProcessEntry = z.infer<typeof ProcessEntry>;

/** The process a watch follows; (pid, starttime) is its identity, checked again before every probe. */
export const WatchTarget = ProcessEntry.omit({ rss: true, refusal: true }).extend({
  /** Field 22 of /proc/PID/stat: clock ticks after boot. A reused pid has another. */
  starttime: Count,
  /** The memory cgroup whose figures the watch reads, when one is readable. */
  cgroup: z.object({ version: z.union([z.literal(1), z.literal(2)]), dir: z.string() }).optional(),
});
export type WatchTarget = z.infer<typeof WatchTarget>;

/**
 * Where a watched process's memory is (record-parts.ts SmapsFigures), with two more kinds taken
 * out of the others: arenaHeaps, glibc's non-main arenas (64 MiB-aligned mmaps, out of
 * anonMappings), and stacks ([stack] and the mappings a thread's stack pointer is in, out of
 * otherMappings and anonMappings).
 */
export const WatchBreakdown = SmapsFigures.extend({
  t: Time,
  arenaHeaps: Count,
  stacks: Count,
  /** How many mappings smaps listed, and how long reading both files took (ms). */
  mappings: Count,
  readMs: z.number().nonnegative(),
});
export type WatchBreakdown = z.infer<typeof WatchBreakdown>;

/** The memory cgroup's own figures: what an OOM killer and `docker stats` see (bytes). */
export const CgroupMemory = z.object({
  t: Time,
  version: z.union([z.literal(1), z.literal(2)]),
  usage: Count,
  /** Absent when the cgroup has no limit. */
  limit: Count.optional(),
  anon: Count,
  file: Count,
});
export type CgroupMemory = z.infer<typeof CgroupMemory>;

/** The breakdown's interval, each time it changed: it follows what a read costs. */
export const SmapsRate = z.object({ t: Time, intervalMs: z.number().positive(), readMs: z.number().nonnegative() });
export type SmapsRate = z.infer<typeof SmapsRate>;

export const Marker = z.object({ t: Time, label: z.string() });
export type Marker = z.infer<typeof Marker>;

export const PROBE_KINDS = ['gc', 'trim'] as const;
export const ProbeKind = z.enum(PROBE_KINDS);
export type ProbeKind = z.infer<typeof ProbeKind>;

/** inspector: Node's DevTools protocol after SIGUSR1. gdb: an inferior call while gdb holds the
 * process stopped. gdb-pending-call: CPython's Py_AddPendingCall, run by the main thread later. */
export const ProbeMethod = z.enum(['inspector', 'gdb', 'gdb-pending-call']);
export type ProbeMethod = z.infer<typeof ProbeMethod>;

/** What the target looked like just before a probe, or probeSettleMs after it. */
export const ProbeSnapshot = z.object({
  t: Time,
  rss: Count,
  breakdown: WatchBreakdown.optional(),
  /** The runtime's own figures, when the probe could ask (the inspector's). */
  heap: ProcessMemoryUsage.optional(),
});
export type ProbeSnapshot = z.infer<typeof ProbeSnapshot>;

export const ProbeResult = z.object({
  id: z.number().int().positive(),
  kind: ProbeKind,
  method: ProbeMethod,
  /** aborted: the time limit hit; the target was left running, but see targetAtRisk. */
  status: z.enum(['running', 'done', 'failed', 'aborted']),
  start: Time,
  end: Time.optional(),
  before: ProbeSnapshot,
  after: ProbeSnapshot.optional(),
  /** before.rss − after.rss (bytes; negative when RSS grew). */
  returned: z.number().optional(),
  /** How long the target was stopped (gdb: from attach to detach, an upper bound; inspector: the GC). */
  pausedMs: z.number().nonnegative().optional(),
  /** What the call answered, in words ("malloc_trim(0) returned 1: memory was released"). */
  result: z.string().optional(),
  error: z.string().optional(),
  /** The limit hit while the call ran inside the target: it was interrupted and unwound, but a
   * lock the call held (malloc's, the GIL) may stay held. */
  targetAtRisk: z.boolean().optional(),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

/** The verdict of a watch, in the words of a run's (shared/watch-verdict.ts). */
export const WatchVerdict = z.object({
  verdict: Verdict,
  text: z.string(),
  /** What the GC probe and the trim probe returned, and RSS after the last one (bytes). */
  gcReturned: z.number().optional(),
  trimReturned: z.number().optional(),
  /** The runtime's heap after its GC (Node: V8 heap used + ArrayBuffers), when known. */
  referenced: z.number().optional(),
  stayed: z.number().optional(),
  /** How fast RSS climbed back after the last trim (bytes/s over the next ≤ 10 s): page faults
   * that bring the memory back say trimming periodically would not help. */
  refaultBytesPerS: z.number().optional(),
});
export type WatchVerdict = z.infer<typeof WatchVerdict>;

/** Whether probes may run in a watch, and if not, why. */
export const ProbePermission = z.object({ allowed: z.boolean(), reason: z.string().optional() });
export type ProbePermission = z.infer<typeof ProbePermission>;

/** The small part of a watch that history lists show (RunInfo.watch). */
export const WatchInfo = z.object({
  target: WatchTarget,
  /** gdb probes (CPython GC, trim), asked for with `probes: true`. The Node GC needs no gdb. */
  gdbProbes: ProbePermission,
  /** The watch ends after this many seconds (or at WATCH_LIMITS.maxSamples). */
  durationS: z.number().positive(),
  /** Why it ended: stopped, duration reached, the target exited… */
  endReason: z.string().optional(),
  verdict: WatchVerdict.optional(),
});
export type WatchInfo = z.infer<typeof WatchInfo>;

/** What a watch records besides RSS (RunRecord.watchTimeline). */
export const WatchTimeline = z.object({
  markers: z.array(Marker),
  probes: z.array(ProbeResult),
  breakdowns: z.array(WatchBreakdown),
  cgroup: z.array(CgroupMemory),
  smapsRates: z.array(SmapsRate),
});
export type WatchTimeline = z.infer<typeof WatchTimeline>;

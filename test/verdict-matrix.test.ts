// The truth table of docs/verdicts.md on real workers, at small N: each case must get exactly its
// verdict and mechanism, and every MiB above baseline must be accounted for (unexplained ≤ 10 % of
// what allocate added, at every phase end). Sequential on purpose: two workers at once on two cores
// would each be the other's noise.
import { describe, expect, it } from 'vitest';
import { machine } from '../server/machine.js';
import { knobEnvironment, type Knobs } from '../shared/knobs.js';
import { findExperiment } from '../shared/catalog/index.js';
import type { RunRecord, Verdict } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import type { Mechanism } from '../shared/verdict.js';
import { runToEnd } from './helpers.js';

const found = machine();
const python = typeof found.python === 'string' ? undefined : found.python.command;
const jemalloc = typeof found.jemalloc === 'string' ? undefined : found.jemalloc.path;
const koffi = found.koffi === true;

async function runCase(experiment: string, params: Record<string, number>, knobs: Knobs = {}, settleMs = 200): Promise<RunRecord> {
  const entry = findExperiment(experiment)!;
  const defaults = Object.fromEntries(entry.params.map((p) => [p.name, p.default]));
  const { record } = await runToEnd({
    experiment: { id: experiment, runtime: entry.runtime }, params: { ...defaults, ...params }, knobs,
    workerEnv: knobEnvironment(knobs, jemalloc), settleMs, python, sampleHz: 1000,
  });
  return record;
}

interface Case {
  name: string;
  experiment: string;
  params: Record<string, number>;
  knobs?: Knobs;
  settleMs?: number;
  verdict: Verdict;
  mechanism?: Mechanism;
  needs?: 'python' | 'jemalloc' | 'koffi';
  /** More to assert on the same run (no extra worker). */
  check?: (record: RunRecord) => void;
}

const breakdownGrowth = (record: RunRecord, part: 'arenaHeaps' | 'brkHeap') =>
  (record.breakdowns.at(-1)![part] ?? 0) - (record.breakdowns[0]![part] ?? 0);

/** The per-thread arenas hold what was kept: the smaps breakdown found their heaps, and the verdict names them and MALLOC_ARENA_MAX. */
function perThreadArenas(record: RunRecord): void {
  const s = record.summary!;
  expect(breakdownGrowth(record, 'arenaHeaps')).toBeGreaterThan(0.8 * s.dataKept!);
  expect(s.verdictText).toContain('per-thread arenas');
  expect(s.remedies!.map((r) => r.knobs)).toEqual([{ trim: true }, { mallocArenaMax: 2 }]);
}

/** malloc_trim(0) returns the whole pages inside the gaps between long-lived blocks, not the rest: part of it. */
function trimReturnsPart(record: RunRecord): void {
  const s = record.summary!;
  const before = s.mem3 - s.mem0;
  expect(s.mem3 - s.memTrim!).toBeGreaterThan(0.2 * before);
  expect(s.dataKept!).toBeGreaterThan(0.4 * before);
}

/** T = 3 threads × N = 12 000 blocks of 1000 bytes: ~12 MiB a burst, ~37 MiB in all. */
const THREADS = { threads: 3, n: 12_000 };

// Figures seen here for each case are in docs/verdicts.md.
const CASES: Case[] = [
  { name: 'py-seed', experiment: 'py-seed', params: { n: 2_000_000 }, verdict: 'released', needs: 'python' },
  { name: 'py-seed + jemalloc (dirty_decay_ms 10 s)', experiment: 'py-seed', params: { n: 2_000_000 }, knobs: { allocator: 'jemalloc' }, verdict: 'retained by allocator', mechanism: 'jemalloc-dirty', needs: 'jemalloc' },
  { name: 'py-seed + jemalloc, dirty_decay_ms 0', experiment: 'py-seed', params: { n: 2_000_000 }, knobs: { allocator: 'jemalloc', jemallocDirtyDecayMs: 0 }, verdict: 'released', needs: 'jemalloc' },
  { name: 'py-seed + jemalloc, background thread, decay 1 s, settle 4 s', experiment: 'py-seed', params: { n: 2_000_000 }, knobs: { allocator: 'jemalloc', jemallocBackgroundThread: true, jemallocDirtyDecayMs: 1000 }, settleMs: 4000, verdict: 'released', needs: 'jemalloc' },
  { name: 'py-fragmentation (keep 1 in 1000)', experiment: 'py-fragmentation', params: { n: 100_000, keepEvery: 1000 }, verdict: 'retained by allocator', mechanism: 'pymalloc-arenas', needs: 'python' },
  { name: 'py-fragmentation (keep 1 in 2)', experiment: 'py-fragmentation', params: { n: 100_000, keepEvery: 2 }, verdict: 'still referenced', mechanism: 'live-objects', needs: 'python' },
  { name: 'py-medium-bytes', experiment: 'py-medium-bytes', params: { n: 50_000 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python' },
  { name: 'py-medium-bytes + MALLOC_TRIM_THRESHOLD_=0', experiment: 'py-medium-bytes', params: { n: 50_000 }, knobs: { mallocTrimThreshold: 0 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python' },
  { name: 'py-medium-bytes + trim', experiment: 'py-medium-bytes', params: { n: 50_000 }, knobs: { trim: true }, verdict: 'released', needs: 'python' },
  { name: 'py-large-bytes', experiment: 'py-large-bytes', params: { n: 64 }, verdict: 'released', needs: 'python' },
  { name: 'seed-strings, N = 10⁶', experiment: 'seed-strings', params: { n: 1_000_000 }, verdict: 'released' },
  { name: 'seed-strings, N = 10⁷', experiment: 'seed-strings', params: { n: 10_000_000 }, verdict: 'released' },
  { name: 'seed-strings, N = 1000', experiment: 'seed-strings', params: { n: 1_000 }, verdict: 'inconclusive', mechanism: 'too-small' },
  { name: 'small-objects', experiment: 'small-objects', params: { n: 1_000_000 }, verdict: 'retained by allocator', mechanism: 'v8-pages' },
  { name: 'big-buffers', experiment: 'big-buffers', params: { n: 64 }, verdict: 'released' },
  { name: 'small-buffers', experiment: 'small-buffers', params: { n: 20_000 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'koffi' },
  { name: 'small-buffers + trim', experiment: 'small-buffers', params: { n: 20_000 }, knobs: { trim: true }, verdict: 'released', needs: 'koffi' },
  // What people report (issue 10).
  { name: 'py-unique-strings', experiment: 'py-unique-strings', params: { n: 1_000_000 }, verdict: 'released', needs: 'python' },
  { name: 'py-unique-strings + PYTHONMALLOC=malloc', experiment: 'py-unique-strings', params: { n: 1_000_000 }, knobs: { pythonMalloc: 'malloc' }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python' },
  { name: 'py-thread-arenas', experiment: 'py-thread-arenas', params: THREADS, verdict: 'retained by allocator', mechanism: 'glibc-thread-arenas', needs: 'python', check: perThreadArenas },
  { name: 'py-thread-arenas + MALLOC_ARENA_MAX=1', experiment: 'py-thread-arenas', params: THREADS, knobs: { mallocArenaMax: 1 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python' },
  { name: 'py-thread-arenas + trim', experiment: 'py-thread-arenas', params: THREADS, knobs: { trim: true }, verdict: 'released', needs: 'python' },
  // The bursts were purged as they were freed: allocate's growth is its height, not what was left at its end.
  { name: 'py-thread-arenas + jemalloc, dirty_decay_ms 0', experiment: 'py-thread-arenas', params: THREADS, knobs: { allocator: 'jemalloc', jemallocDirtyDecayMs: 0 }, verdict: 'released', needs: 'jemalloc' },
  { name: 'thread-arenas', experiment: 'thread-arenas', params: THREADS, verdict: 'retained by allocator', mechanism: 'glibc-thread-arenas', needs: 'koffi', check: perThreadArenas },
  { name: 'thread-arenas + MALLOC_ARENA_MAX=1', experiment: 'thread-arenas', params: THREADS, knobs: { mallocArenaMax: 1 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'koffi' },
  { name: 'thread-arenas + trim', experiment: 'thread-arenas', params: THREADS, knobs: { trim: true }, verdict: 'released', needs: 'koffi' },
  {
    name: 'buffer-pool-slices', experiment: 'buffer-pool-slices', params: { n: 10_000 }, verdict: 'still referenced', mechanism: 'live-objects', needs: 'koffi',
    check: (record) => expect(record.summary!.verdictText).toMatch(/Of it, \d+\.\d MiB is ArrayBuffer backing stores .* slices of a shared 8 KiB pool/),
  },
  { name: 'interleaved-lifetimes', experiment: 'interleaved-lifetimes', params: { n: 30_000 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'koffi' },
  { name: 'interleaved-lifetimes + trim', experiment: 'interleaved-lifetimes', params: { n: 30_000 }, knobs: { trim: true }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'koffi', check: trimReturnsPart },
  { name: 'py-interleaved-lifetimes', experiment: 'py-interleaved-lifetimes', params: { n: 50_000 }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python' },
  { name: 'py-interleaved-lifetimes + trim', experiment: 'py-interleaved-lifetimes', params: { n: 50_000 }, knobs: { trim: true }, verdict: 'retained by allocator', mechanism: 'glibc-brk-heap', needs: 'python', check: trimReturnsPart },
  { name: 'py-interleaved-lifetimes + jemalloc', experiment: 'py-interleaved-lifetimes', params: { n: 50_000 }, knobs: { allocator: 'jemalloc' }, verdict: 'retained by allocator', mechanism: 'jemalloc-pinned', needs: 'jemalloc' },
];

const missing = (c: Case) => (c.needs === 'python' && !python) || (c.needs === 'jemalloc' && (!jemalloc || !python)) || (c.needs === 'koffi' && !koffi);

/** Records of the cases that ran, by name, for comparisons across settings. */
const seen = new Map<string, RunRecord>();

describe('the truth table (docs/verdicts.md), on real workers', () => {
  for (const c of CASES) {
    it.skipIf(missing(c))(`${c.name}: ${c.verdict}${c.mechanism ? ` (${c.mechanism})` : ''}`, async () => {
      const record = await runCase(c.experiment, c.params, c.knobs, c.settleMs);
      seen.set(c.name, record);
      expect(record.status, record.error).toBe('finished');
      const s = record.summary!;
      expect({ verdict: s.verdict, mechanism: s.mechanism }, s.verdictText).toEqual({ verdict: c.verdict, mechanism: c.mechanism });
      // Every MiB accounted for: at each phase end the remainder is within 10 % of what allocate added.
      expect(s.accounting!.map((a) => a.phase)).toEqual(record.phases.slice(1).map((p) => p.name));
      if (c.mechanism !== 'too-small') expect(s.unexplainedPct!, JSON.stringify(s.accounting)).toBeLessThanOrEqual(10);
      c.check?.(record);
    });
  }

  // Seen (T = 3): 36.4 vs 12.0 MiB (CPython), 36.2 vs 12.0 (Node).
  for (const [name, needs] of [['py-thread-arenas', 'python'], ['thread-arenas', 'koffi']] as const) {
    it.skipIf(missing({ needs } as Case))(`${name}: one arena per thread keeps ~T bursts, MALLOC_ARENA_MAX=1 about one, in the brk heap`, () => {
      const [perThread, one] = [seen.get(name)!, seen.get(`${name} + MALLOC_ARENA_MAX=1`)!];
      expect(perThread.summary!.dataKept!).toBeGreaterThan(2.4 * one.summary!.dataKept!);
      expect(breakdownGrowth(one, 'brkHeap')).toBeGreaterThan(0.8 * one.summary!.dataKept!);
    });
  }

  it.skipIf(!koffi)('small-buffers + trim: the trim phase runs once V8 has freed the backing stores, and returns ≥ 80 % of what allocate added', async () => {
    const record = await runCase('small-buffers', { n: 100_000 }, { trim: true });
    expect(record.status, record.error).toBe('finished');
    const s = record.summary!;
    // Seen: 46 → 478 MiB; after trim 54 MiB (collect waited 20–40 ms for V8's ArrayBuffer sweep).
    expect(s.mem1 - s.mem0).toBeGreaterThan(300 * MiB);
    expect(s.memTrim! - s.mem0).toBeLessThanOrEqual(0.2 * (s.mem1 - s.mem0));
    expect(s.releaseWaitMs).toBeGreaterThan(0);
    const collectEnd = record.heap.find((h) => h.phase === 'collect' && h.releaseWaitMs !== undefined)!;
    expect(collectEnd.arrayBuffers!).toBeLessThan(2 * MiB);
  });
});

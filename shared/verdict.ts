// The verdict, decided from evidence in bytes: where the RSS still above baseline at the end of the
// run is (shared/accounting.ts), against thresholds taken from the run's own noise (shared/noise.ts).
// Block counts decide nothing; a signal smaller than the noise decides nothing.
import type { JemallocFigures, PhaseAccounting, Verdict } from './run-record.js';
import type { RunNoise } from './noise.js';
import { MiB } from './units.js';

export const VERDICT_RULES = {
  /**
   * RSS counts as given back when the data still above baseline (RSS minus code and file pages) is
   * at most the larger of this floor and `noiseMultiple` × the baseline jitter. The floor is what a
   * runtime keeps for having run at all, measured here after runs whose data did go back: V8 ~2.4
   * MiB of pages plus glibc thread arenas (up to 4.3 MiB in all after small-buffers 10⁵ + trim),
   * pymalloc part-used arenas (3.1 MiB after py-unique-ints 10⁷), jemalloc metadata in 2 MiB steps.
   * It does not grow with N: the same leftover gets the same verdict whatever N was.
   */
  releasedFloorBytes: 6 * MiB,
  noiseMultiple: 4,
  /** The noise band never goes below this (an idle CPython's RSS does not move at all). */
  minNoiseBytes: 0.5 * MiB,
  /** "released" also needs at least this much of allocate's growth gone (tiny N: nothing to tell). */
  releasedAtLeast: 0.5,
  /** A verdict other than released needs its figures to explain at least this much of what is kept. */
  explainedAtLeast: 0.5,
  /** @deprecated The old rule: the threshold no longer scales with N. Kept for the client until it shows `summary.threshold`. */
  releasedFraction: 0,
  /** @deprecated Now: live bytes must be the largest share of what is kept. */
  referencedFraction: 0.5,
} as const;

/** What keeps the memory, when something does; shared/verdict-text.ts explains each. */
export const MECHANISMS = [
  'live-objects', 'v8-pages', 'pymalloc-arenas', 'glibc-brk-heap', 'glibc-thread-arenas',
  'jemalloc-dirty', 'jemalloc-muzzy', 'jemalloc-pinned', 'jemalloc-metadata', 'too-small', 'still-falling', 'unexplained',
] as const;
export type Mechanism = (typeof MECHANISMS)[number];

export interface VerdictInput {
  runtime: 'node' | 'python';
  /** The accounting at the end of the run (settle), at the end of trim and of collect when there are. */
  end?: PhaseAccounting;
  trim?: PhaseAccounting;
  /** What allocate added to RSS (at its height: a churn frees most of it inside allocate), and what RSS kept at the end (bytes above baseline). */
  grew: number;
  kept: number;
  noise: RunNoise;
  /** The malloc in the worker, its jemalloc settings at the end, CPython's object allocator. */
  mallocLibrary: 'glibc' | 'jemalloc';
  jemalloc?: Pick<JemallocFigures, 'dirtyDecayMs' | 'muzzyDecayMs' | 'backgroundThread'>;
  pymalloc: boolean;
  trimmed: boolean;
  settleMs: number;
  /** pymalloc arenas mapped at the end of allocate and at the end (CPython). */
  arenas?: { atAllocate: number; atEnd: number };
  /** V8's young generation at the end (bytes of new_space pages). */
  newSpace?: number;
  /** Node: ArrayBuffer backing stores still referenced at the end, above baseline (process.memoryUsage().arrayBuffers). */
  arrayBuffers?: number;
  /** MALLOC_ARENA_MAX in force (the mallocArenaMax knob), when set. */
  mallocArenaMax?: number;
  /** Figures the worker could not give (e.g. "allocator" without koffi). */
  missing?: readonly string[];
  /** RSS the trim phase returned (bytes), when the run had one. */
  trimReturned?: number;
}

export interface VerdictDecision {
  verdict: Verdict;
  /** What keeps the memory (or why no verdict could be given). */
  mechanism?: Mechanism;
  /** Bytes above baseline that are the run's data (RSS minus code and file pages), at the end. */
  data: number;
  /** The "released" threshold and the noise band in force for this run (bytes). */
  threshold: number;
  noiseBand: number;
  /** Each share of what is kept, bytes, largest first. */
  shares: { mechanism: Mechanism; bytes: number }[];
}

export function thresholdsOf(noise: RunNoise): { threshold: number; noiseBand: number } {
  const noiseBand = Math.max(VERDICT_RULES.minNoiseBytes, VERDICT_RULES.noiseMultiple * noise.jitter);
  return { threshold: Math.max(VERDICT_RULES.releasedFloorBytes, noiseBand), noiseBand };
}

/** Where the kept bytes are, by mechanism, largest first; parts within the noise band are left out. */
export function sharesOf(end: PhaseAccounting, input: Pick<VerdictInput, 'runtime'>, noiseBand: number): VerdictDecision['shares'] {
  const parts: [Mechanism, number | undefined][] = [
    ['live-objects', end.live],
    [input.runtime === 'node' ? 'v8-pages' : 'pymalloc-arenas', end.freeInRuntime],
    ['glibc-brk-heap', end.brkHeapFree],
    ['glibc-thread-arenas', end.threadArenasFree],
    ['jemalloc-dirty', end.jemallocDirty],
    ['jemalloc-muzzy', end.jemallocMuzzy],
    ['jemalloc-pinned', end.jemallocPinned],
    ['jemalloc-metadata', end.jemallocMetadata],
  ];
  return parts
    .filter((p): p is [Mechanism, number] => p[1] !== undefined && p[1] >= noiseBand)
    .map(([mechanism, bytes]) => ({ mechanism, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
}

export function decideVerdict(input: VerdictInput): VerdictDecision {
  const { threshold, noiseBand } = thresholdsOf(input.noise);
  const data = input.end ? input.end.rss - input.end.rest : input.kept;
  const base = { data, threshold, noiseBand };
  if (input.grew < threshold) return { ...base, verdict: 'inconclusive', mechanism: 'too-small', shares: [] };
  if (data <= threshold) {
    // Within the threshold, but with more than half of a small growth still there: too small to tell.
    const released = data <= (1 - VERDICT_RULES.releasedAtLeast) * input.grew;
    return { ...base, verdict: released ? 'released' : 'inconclusive', ...(!released && { mechanism: 'too-small' as const }), shares: [] };
  }
  // Still going down at the end of settle: the end state has not been reached.
  if (input.noise.settleDrift <= -threshold) return { ...base, verdict: 'inconclusive', mechanism: 'still-falling', shares: [] };
  if (!input.end) return { ...base, verdict: 'inconclusive', mechanism: 'unexplained', shares: [] };
  const shares = sharesOf(input.end, input, noiseBand);
  const explained = shares.reduce((sum, s) => sum + s.bytes, 0);
  const top = shares[0];
  if (!top || explained < VERDICT_RULES.explainedAtLeast * data) return { ...base, verdict: 'inconclusive', mechanism: 'unexplained', shares };
  return { ...base, verdict: top.mechanism === 'live-objects' ? 'still referenced' : 'retained by allocator', mechanism: top.mechanism, shares };
}

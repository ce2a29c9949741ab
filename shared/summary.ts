// The seed's measurement, computed from a run's recorded timeline: RSS at the end of each phase,
// each step as a percent of the baseline RSS; then the verdict on where the memory went, from the
// accounting at each phase end (accounting.ts), the run's noise (noise.ts) and verdict.ts.
import { accountPhaseEnds, phaseEndFigures, worstUnexplainedFraction } from './accounting.js';
import { SETTLE_MS } from './limits.js';
import { measureNoise } from './noise.js';
import { PHASES } from './phases.js';
import type { HeapFigures, HeapSample, MemoryBreakdown, Phase, PhaseAccounting, PhaseName, RunRecord, Sample, Summary } from './run-record.js';
import { decideVerdict, type VerdictInput } from './verdict.js';
import { describeVerdict } from './verdict-text.js';

export { VERDICT_RULES } from './verdict.js';

/** The seed's `pd`: a change as a percent of the baseline RSS. */
export const percentOfBaseline = (after: number, before: number, mem0: number): number =>
  mem0 > 0 ? (100 * (after - before)) / mem0 : 0;

/** The last item at or before t (items sorted by t), else the first one after it. */
export function nearestAtOrBefore<T extends { t: number }>(items: readonly T[], t: number): T | undefined {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.t <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return items[found] ?? items[0];
}

export type HeapUnit = 'bytes' | 'blocks';

/**
 * The runtime's own view of live memory as the chart draws it: V8 heapUsed + arrayBuffers (bytes),
 * or CPython's allocated blocks (a count). The verdict no longer reads it: it decides from the
 * accounting in bytes at phase ends (accounting.ts), where live is V8's or pymalloc's used bytes
 * plus the C allocator's in-use bytes.
 */
export function heapLevel(h: HeapFigures): { level: number; unit: HeapUnit } | undefined {
  // arrayBuffers, not external: V8 updates external only at the next GC.
  if (h.heapUsed !== undefined) return { level: h.heapUsed + (h.arrayBuffers ?? h.external ?? 0), unit: 'bytes' };
  if (h.allocatedBlocks !== undefined) return { level: h.allocatedBlocks, unit: 'blocks' };
  return undefined;
}

export interface SummaryInput extends Partial<Pick<RunRecord, 'runtime' | 'mallocLibrary' | 'objectAllocator' | 'knobs' | 'settleMs' | 'params'>> {
  phases: readonly Phase[];
  samples: readonly Sample[];
  heap: readonly HeapSample[];
  /** Where the memory is at each phase end, when it could be read. */
  breakdowns?: readonly MemoryBreakdown[];
}

/** Returns null until every phase (trim too, when the run has it) has ended and there are RSS samples. */
export function computeSummary(input: SummaryInput): Summary | null {
  const { phases, samples, heap } = input;
  const ends = PHASES.map((name) => phases.find((p) => p.name === name)?.end);
  const trim = phases.find((p) => p.name === 'trim');
  if (samples.length === 0 || ends.some((e) => e === undefined) || (trim && trim.end === undefined)) return null;
  // RSS at a phase end: the worker's own reading taken at that instant when it sent one (as the
  // seed read psutil in-process); else the outside sample just before. A short phase (allocate can
  // take 30 ms) can fall between two outside samples, so the in-process reading is the exact one.
  const rssAt = (end: number) => {
    const own = nearestAtOrBefore(heap, end);
    return own?.t === end && own.rss !== undefined ? own.rss : nearestAtOrBefore(samples, end)!.rss;
  };
  const [mem0, mem1, mem2, mem3, mem4] = ends.map((end) => rssAt(end!)) as [number, number, number, number, number];
  const allocate = phases.find((p) => p.name === 'allocate')!;
  const peak = samples.filter((s) => s.t >= allocate.start).reduce((m, s) => Math.max(m, s.rss), mem1);
  // A churn (thread-arenas) may free most of what it allocated before allocate ends: its height is what it added.
  const allocatePeak = samples.filter((s) => s.t >= allocate.start && s.t <= allocate.end!).reduce((m, s) => Math.max(m, s.rss), mem1);
  const memTrim = trim ? rssAt(trim.end!) : undefined;
  const pd = (a: number, b: number) => percentOfBaseline(a, b, mem0);
  const seed = {
    mem0, mem1, mem2, mem3, mem4, peak,
    ...(memTrim === undefined ? {} : { memTrim, trimPct: pd(memTrim, mem3) }),
    allocationPct: pd(mem1, mem0),
    unreferencePct: pd(mem2, mem1),
    collectPct: pd(mem3, mem2),
    settlePct: pd(mem4, memTrim ?? mem3),
    overallPct: pd(mem3, mem0),
    finalPct: pd(mem4, mem0),
  };
  return { ...seed, ...judgeRun(input, { grew: mem1 - mem0, allocatePeak: allocatePeak - mem0, kept: mem4 - mem0, trimReturned: memTrim === undefined ? undefined : mem3 - memTrim }) };
}

const trimReturned = (collect?: PhaseAccounting, trim?: PhaseAccounting) => (collect && trim ? collect.rss - trim.rss : undefined);

type Judgement = Pick<Summary, 'verdict' | 'verdictText' | 'mechanism' | 'dataKept' | 'noise' | 'accounting' | 'unexplainedPct' | 'remedies' | 'releaseWaitMs'>;

/** The verdict and the evidence behind it: the accounting at each phase end, the run's noise, what to try. */
/**
 * `rss`: what allocate added by its end and at its height (outside samples), what the run kept, what
 * trim returned (bytes above baseline, from the seed's readings when there is no accounting).
 */
export function judgeRun(input: SummaryInput, rss: { grew: number; allocatePeak?: number; kept: number; trimReturned?: number }): Judgement {
  const { phases, samples, heap, breakdowns = [] } = input;
  const accounting = accountPhaseEnds(phaseEndFigures(phases, heap, breakdowns));
  const at = (name: PhaseName) => accounting.find((a) => a.phase === name);
  const endHeap = (name: PhaseName) => {
    const end = phases.find((p) => p.name === name)?.end;
    return end === undefined ? undefined : heap.find((h) => h.phase === name && h.t === end);
  };
  const last = endHeap('settle');
  const base = endHeap('baseline');
  const noise = measureNoise(phases, samples);
  const arenasAfterAllocate = endHeap('allocate')?.arenasInUse;
  const verdictInput: VerdictInput = {
    // ('other' is only a watched process's, which has no summary.)
    runtime: (input.runtime === 'other' ? undefined : input.runtime) ?? (last?.v8 || last?.heapUsed !== undefined ? 'node' : 'python'),
    end: at('settle'),
    trim: at('trim'),
    grew: Math.max(at('allocate')?.rss ?? rss.grew, rss.allocatePeak ?? Number.NEGATIVE_INFINITY),
    kept: at('settle')?.rss ?? rss.kept,
    noise,
    mallocLibrary: input.mallocLibrary ?? (last?.jemalloc ? 'jemalloc' : 'glibc'),
    ...(last?.jemalloc && { jemalloc: last.jemalloc }),
    pymalloc: last?.pymalloc !== undefined,
    trimmed: at('trim') !== undefined || phases.some((p) => p.name === 'trim'),
    settleMs: input.settleMs ?? SETTLE_MS.default,
    ...(arenasAfterAllocate !== undefined && last?.arenasInUse !== undefined && { arenas: { atAllocate: arenasAfterAllocate, atEnd: last.arenasInUse } }),
    ...(last?.v8?.newSpacePhysical !== undefined && { newSpace: last.v8.newSpacePhysical }),
    ...(last?.arrayBuffers !== undefined && base?.arrayBuffers !== undefined && { arrayBuffers: last.arrayBuffers - base.arrayBuffers }),
    ...(input.knobs?.mallocArenaMax !== undefined && { mallocArenaMax: input.knobs.mallocArenaMax }),
    missing: at('settle')?.missing ?? [],
    ...(rss.trimReturned !== undefined && { trimReturned: trimReturned(at('collect'), at('trim')) ?? rss.trimReturned }),
  };
  const decision = decideVerdict(verdictInput);
  const { verdictText, remedies } = describeVerdict(decision, verdictInput, input.params ?? {});
  const releaseWaitMs = endHeap('collect')?.releaseWaitMs;
  return {
    verdict: decision.verdict,
    verdictText,
    ...(decision.mechanism && { mechanism: decision.mechanism }),
    dataKept: decision.data,
    noise: { ...noise, noiseBand: decision.noiseBand, threshold: decision.threshold },
    ...(accounting.length > 0 && { accounting, unexplainedPct: 100 * worstUnexplainedFraction(accounting, verdictInput.grew) }),
    ...(remedies.length > 0 && { remedies }),
    ...(releaseWaitMs !== undefined && { releaseWaitMs }),
  };
}

export interface SummaryRow {
  label: string;
  pct: number;
  bytes: number;
  /** The seed's Overall line, and the same after settle. */
  total: boolean;
}

/** The seed's four lines, then trim (when asked for), settle and the overall after them: one list for the UI and the CLI. */
export function summaryRows(s: Summary): SummaryRow[] {
  const trim: SummaryRow[] =
    s.memTrim === undefined || s.trimPct === undefined ? [] : [{ label: 'Trim', pct: s.trimPct, bytes: s.memTrim - s.mem3, total: false }];
  return [
    { label: 'Allocation', pct: s.allocationPct, bytes: s.mem1 - s.mem0, total: false },
    { label: 'Unreference', pct: s.unreferencePct, bytes: s.mem2 - s.mem1, total: false },
    { label: 'Collect', pct: s.collectPct, bytes: s.mem3 - s.mem2, total: false },
    { label: 'Overall', pct: s.overallPct, bytes: s.mem3 - s.mem0, total: true },
    ...trim,
    { label: 'Settle', pct: s.settlePct, bytes: s.mem4 - (s.memTrim ?? s.mem3), total: false },
    { label: 'Overall after settle', pct: s.finalPct, bytes: s.mem4 - s.mem0, total: true },
  ];
}


// The seed's measurement, computed from a run's recorded timeline: RSS at the end of each phase,
// each step as a percent of the baseline RSS, and a verdict on where the memory went.
import type { HeapFigures, HeapSample, MemoryBreakdown, Phase, PhaseName, Sample, Summary, Verdict } from './run-record.js';
import { formatMiB } from './format.js';
import { PHASES } from './phases.js';
import { MiB } from './units.js';

/** Thresholds behind the verdict; shown in the UI so a verdict can be checked by hand. */
export const VERDICT_RULES = {
  /** "released" when RSS after settle is within this fraction of what allocate added… */
  releasedFraction: 0.1,
  /** …or within this many bytes of baseline, whichever is larger. */
  releasedFloorBytes: 4 * MiB,
  /** "still referenced" when the runtime's own heap still holds this fraction of its growth. */
  referencedFraction: 0.5,
  /** The breakdown names where retained RSS sits when one kind of mapping holds this much of it. */
  whereFraction: 0.5,
} as const;

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
 * The runtime's own view of live memory: V8 heap plus ArrayBuffer/Buffer memory (bytes), or CPython's
 * allocated blocks (a count: compared only as a ratio of its own growth).
 */
export function heapLevel(h: HeapFigures): { level: number; unit: HeapUnit } | undefined {
  // arrayBuffers, not external: after a GC V8 sweeps ArrayBuffers concurrently and arrayBuffers
  // drops within the settle phase, while external keeps the old figure until the next GC (seen
  // here: 100k × 4 KiB allocUnsafeSlow, 1 s after gc(): arrayBuffers 0, external still 392 MiB).
  if (h.heapUsed !== undefined) return { level: h.heapUsed + (h.arrayBuffers ?? h.external ?? 0), unit: 'bytes' };
  if (h.allocatedBlocks !== undefined) return { level: h.allocatedBlocks, unit: 'blocks' };
  return undefined;
}

export interface SummaryInput {
  phases: readonly Phase[];
  samples: readonly Sample[];
  heap: readonly HeapSample[];
  /** Where the memory is at each phase end, when it could be read. */
  breakdowns?: readonly MemoryBreakdown[];
}


/** Returns null until every phase (trim too, when the run has it) has ended and there are RSS samples. */
export function computeSummary({ phases, samples, heap, breakdowns = [] }: SummaryInput): Summary | null {
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
  const allocStart = phases.find((p) => p.name === 'allocate')!.start;
  const peak = samples.filter((s) => s.t >= allocStart).reduce((m, s) => Math.max(m, s.rss), mem1);
  const memTrim = trim ? rssAt(trim.end!) : undefined;
  const heapAt = (end: number) => {
    const h = nearestAtOrBefore(heap, end);
    return h ? heapLevel(h) : undefined;
  };
  const levels = [heapAt(ends[0]!), heapAt(ends[1]!), heapAt(ends[4]!)];
  const unit = levels[0]?.unit;
  const sameUnit = levels.every((l) => l !== undefined && l.unit === unit);
  const where = (name: PhaseName) => breakdowns.find((b) => b.phase === name);
  const { verdict, verdictText } = judge(
    mem0, mem1, mem4,
    ...(sameUnit ? levels.map((l) => l!.level) : []) as [number?, number?, number?],
    { heapUnit: unit, before: where('baseline'), after: where('settle'), trimmed: trim !== undefined },
  );
  const pd = (a: number, b: number) => percentOfBaseline(a, b, mem0);
  return {
    mem0, mem1, mem2, mem3, mem4, peak,
    ...(memTrim === undefined ? {} : { memTrim, trimPct: pd(memTrim, mem3) }),
    allocationPct: pd(mem1, mem0),
    unreferencePct: pd(mem2, mem1),
    collectPct: pd(mem3, mem2),
    settlePct: pd(mem4, memTrim ?? mem3),
    overallPct: pd(mem3, mem0),
    finalPct: pd(mem4, mem0),
    verdict,
    verdictText,
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

const mib = (bytes: number) => formatMiB(bytes);

export interface JudgeContext {
  /** What the heap levels count: V8 bytes, or CPython blocks. */
  heapUnit?: HeapUnit;
  /** Where the memory was at the end of baseline and of settle. */
  before?: MemoryBreakdown;
  after?: MemoryBreakdown;
  /** The run had a malloc_trim(0) phase. */
  trimmed?: boolean;
}

export function judge(
  mem0: number, mem1: number, mem4: number,
  heap0?: number, heap1?: number, heap4?: number,
  context: JudgeContext = {},
): { verdict: Verdict; verdictText: string } {
  const grew = Math.max(0, mem1 - mem0);
  const kept = mem4 - mem0;
  const allowance = Math.max(VERDICT_RULES.releasedFloorBytes, VERDICT_RULES.releasedFraction * grew);
  if (kept <= allowance) {
    return { verdict: 'released', verdictText: `released: RSS ended ${mib(kept)} from baseline after allocate added ${mib(grew)}.` };
  }
  const heapAmount = (n: number) => (context.heapUnit === 'blocks' ? `${Math.round(n).toLocaleString('en-US')} blocks` : mib(n));
  const where = whereRetained(kept, context);
  if (heap0 !== undefined && heap1 !== undefined && heap4 !== undefined) {
    const heapGrew = heap1 - heap0;
    const heapKept = heap4 - heap0;
    if (heapGrew > 0 && heapKept >= VERDICT_RULES.referencedFraction * heapGrew) {
      return {
        verdict: 'still referenced',
        verdictText: `still referenced: the runtime's heap still holds ${heapAmount(heapKept)} of the ${heapAmount(heapGrew)} it grew; RSS kept ${mib(kept)}.`,
      };
    }
    const heapNow = context.heapUnit === 'blocks' && heapGrew > 0
      ? `only ${((100 * Math.max(0, heapKept)) / heapGrew).toFixed(1)}% of the blocks it allocated still live`
      : `the runtime's heap back to ${heapAmount(heapKept)} above baseline`;
    return {
      verdict: 'retained by allocator',
      verdictText: `retained by allocator: RSS kept ${mib(kept)} of ${mib(grew)}, with ${heapNow}: freed, but not given back to the OS.${where}`,
    };
  }
  return { verdict: 'retained by allocator', verdictText: `retained by allocator: RSS kept ${mib(kept)} of ${mib(grew)} after collect and settle.${where}` };
}

/** " 180.0 MiB still in the brk heap — …" from the growth of each kind of mapping, or "". */
export function whereRetained(kept: number, { before, after, trimmed }: JudgeContext): string {
  if (!before || !after || kept <= 0) return '';
  const inHeap = after.brkHeap - before.brkHeap;
  const inAnon = after.anonMappings - before.anonMappings;
  if (inHeap >= VERDICT_RULES.whereFraction * kept) {
    return trimmed
      ? ` ${mib(inHeap)} is still in the brk heap even after malloc_trim(0): live chunks hold it.`
      : ` ${mib(inHeap)} is still in the brk heap — malloc_trim would return it.`;
  }
  if (inAnon >= VERDICT_RULES.whereFraction * kept) {
    return ` ${mib(inAnon)} is in anonymous mappings (pymalloc arenas, V8 pages or other malloc arenas) — ` +
      'held while any block in them lives; malloc_trim cannot return them.';
  }
  return '';
}

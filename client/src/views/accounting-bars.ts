// The accounting as bars: where RSS above baseline is at each phase end, one stacked bar per phase
// end, split by owner — live, free inside the runtime, free inside the C allocator (each of its
// parts a segment of its own), the rest (code, files, stacks) and what nothing explains. Pure: the
// chart (breakdown-view.ts), the charts' data table and the Node tests read the same model.
import { accountPhaseEnds, phaseEndFigures } from '../../../shared/accounting.js';
import type { PhaseAccounting, PhaseName, RunInfo } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import type { ShownRun } from '../state/dashboard-state.js';
import type { ACCOUNTING_COLORS } from './chart-theme.js';

export type SegmentKey = keyof typeof ACCOUNTING_COLORS;

/**
 * The words for each part, docs/verdicts.md's: the bars' legend, the charts' data table and the
 * summary's accounting table all say these.
 */
export const PART_WORDS = {
  rss: 'RSS',
  live: 'live',
  freeInRuntime: 'free in runtime',
  freeInAllocator: 'free in allocator',
  brkHeapFree: 'brk heap',
  threadArenasFree: 'thread arenas',
  jemallocDirty: 'jemalloc dirty',
  jemallocMuzzy: 'jemalloc muzzy',
  jemallocPinned: 'jemalloc pinned',
  jemallocMetadata: 'jemalloc metadata',
  notResident: 'counted, not resident',
  rest: 'rest: code, files, stacks',
  unexplained: 'unexplained',
} as const satisfies Record<Exclude<keyof PhaseAccounting, 'phase' | 'missing'>, string>;

/** The C allocator's parts (shared/evidence.ts); freeInAllocator is their sum. */
export const ALLOCATOR_PARTS = ['brkHeapFree', 'threadArenasFree', 'jemallocDirty', 'jemallocMuzzy', 'jemallocPinned', 'jemallocMetadata'] as const;

/** Bottom to top. */
function segmentsFor(runtime: RunInfo['runtime'] | undefined): { key: SegmentKey; label: string; read: (a: PhaseAccounting) => number | undefined }[] {
  const where = runtime === 'node' ? ': V8 pages' : runtime === 'python' ? ': pymalloc arenas' : '';
  return [
    { key: 'live', label: PART_WORDS.live, read: (a) => a.live },
    { key: 'freeInRuntime', label: `${PART_WORDS.freeInRuntime}${where}`, read: (a) => a.freeInRuntime },
    ...ALLOCATOR_PARTS.map((key) => ({ key, label: `${PART_WORDS.freeInAllocator}: ${PART_WORDS[key]}`, read: (a: PhaseAccounting) => a[key] })),
    // Records whose allocator share has no parts (none today) still add up to RSS.
    { key: 'allocatorOther', label: PART_WORDS.freeInAllocator, read: (a) => a.freeInAllocator - ALLOCATOR_PARTS.reduce((sum, key) => sum + (a[key] ?? 0), 0) },
    { key: 'rest', label: PART_WORDS.rest, read: (a) => a.rest },
    { key: 'unexplained', label: PART_WORDS.unexplained, read: (a) => a.unexplained },
  ];
}

export interface AccountingSegment {
  key: SegmentKey;
  label: string;
  /** Bytes at each phase end, in the order of `phases` (0 where a phase end lacks the part). */
  values: number[];
}

export interface AccountingBars {
  phases: PhaseName[];
  /** RSS above baseline at each phase end: the segments add up to it. */
  rss: number[];
  /** Only segments some phase end has, bottom to top. */
  segments: AccountingSegment[];
}

/** A part that never reaches this is left out: it would show as 0.0 MiB, a legend entry with no bar. */
const VISIBLE_BYTES = 0.05 * MiB;

export function accountingBars(rows: readonly PhaseAccounting[], runtime?: RunInfo['runtime']): AccountingBars {
  const segments = segmentsFor(runtime)
    .map(({ key, label, read }) => ({ key, label, present: rows.some((r) => read(r) !== undefined), values: rows.map((r) => read(r) ?? 0) }))
    .filter((s) => s.present && s.values.some((v) => Math.abs(v) >= VISIBLE_BYTES))
    .map(({ key, label, values }) => ({ key, label, values }));
  return { phases: rows.map((r) => r.phase), rss: rows.map((r) => r.rss), segments };
}

/**
 * The accounting of the run on screen. An ended run shows what its summary recorded — exactly what
 * the verdict read (none for a run recorded before there was one); a run still going is accounted
 * here from the same figures as they arrive, with the same function the server uses.
 */
export function accountingOf(shown: Pick<ShownRun, 'info' | 'phases' | 'heap' | 'breakdowns'>): readonly PhaseAccounting[] {
  if (shown.info.summary) return shown.info.summary.accounting ?? [];
  return accountPhaseEnds(phaseEndFigures(shown.phases, shown.heap, shown.breakdowns));
}

/** A point on the time chart: what the verdict reads as live at a phase end, on the RSS scale. */
export interface LiveMark {
  phase: PhaseName;
  /** The phase's end (ms since the epoch). */
  t: number;
  /** Baseline's RSS (smaps, at its end) + live: where RSS would be if only live data stayed. */
  level: number;
  live: number;
}

/** Empty without baseline's breakdown: the accounting's changes then have nothing to stand on. */
export function liveMarks(shown: Pick<ShownRun, 'phases' | 'breakdowns'>, rows: readonly PhaseAccounting[]): LiveMark[] {
  const base = shown.breakdowns.find((b) => b.phase === 'baseline');
  if (!base) return [];
  return rows.flatMap((a) => {
    const t = shown.phases.find((p) => p.name === a.phase)?.end;
    return t === undefined ? [] : [{ phase: a.phase, t, level: base.rss + a.live, live: a.live }];
  });
}

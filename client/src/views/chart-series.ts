// What the run chart draws besides RSS, and the words for it: the runtime's own figures as it
// reports them every ≤ 50 ms, and the verdict's live share at each phase end. The legend, the
// tooltip and the charts' data table say these words, docs/verdicts.md's.
import type { ChartDataset } from 'chart.js';
import type { HeapFigures } from '../../../shared/run-record.js';
import { heapLevel } from '../../../shared/summary.js';
import { MiB } from '../../../shared/units.js';
import { ACCOUNTING_COLORS, SERIES } from './chart-theme.js';
import type { Point } from './series-buffer.js';

const bytes = (key: 'heapUsed' | 'heapTotal' | 'arrayBuffers') => (h: HeapFigures) => h[key];

/** The runtime's heap line: V8's heapUsed + arrayBuffers (shared/summary.ts heapLevel), Node only. */
export const RUNTIME_HEAP_LABEL = 'runtime heap: V8 heapUsed + arrayBuffers';
/** CPython's count of live pymalloc blocks: a count, not bytes, so the verdict does not read it. */
export const BLOCKS_LABEL = 'allocated blocks (CPython sys.getallocatedblocks(); right axis)';
/** The markers: the accounting's live share at each phase end, drawn on top of baseline's RSS. */
export const LIVE_MARKS_LABEL = 'baseline RSS + live (the verdict\'s live share, at phase ends)';
export const LIVE_MARKS_COLOR = ACCOUNTING_COLORS.live;

/**
 * The runtime's own figures, each read from a heap report. V8's `external` is left out: it keeps a
 * freed Buffer's size until the next GC. None of these decides the verdict: it reads the
 * accounting at phase ends (the markers), where live is in bytes for both runtimes.
 */
export const HEAP_SERIES = [
  { label: RUNTIME_HEAP_LABEL, color: SERIES.heapLevel, axis: 'y', per: MiB, read: (h: HeapFigures) => (heapLevel(h)?.unit === 'bytes' ? heapLevel(h)!.level : undefined) },
  { label: 'heapUsed (V8)', color: SERIES.heapUsed, axis: 'y', per: MiB, read: bytes('heapUsed') },
  { label: 'heapTotal (V8)', color: SERIES.heapTotal, axis: 'y', per: MiB, read: bytes('heapTotal') },
  { label: 'arrayBuffers (Buffers)', color: SERIES.arrayBuffers, axis: 'y', per: MiB, read: bytes('arrayBuffers') },
  { label: BLOCKS_LABEL, color: SERIES.blocks, axis: 'y1', per: 1, read: (h: HeapFigures) => h.allocatedBlocks },
] as const;

const line = (label: string, color: string, yAxisID = 'y'): ChartDataset<'line', Point[]> => ({
  label, data: [], borderColor: color, backgroundColor: color, yAxisID,
  borderWidth: 1.5, pointRadius: 0, pointHitRadius: 4, parsing: false, normalized: true, spanGaps: true,
});

/** The chart's datasets, in order: RSS, HEAP_SERIES, the live markers (points only). */
export const runDatasets = (): ChartDataset<'line', Point[]>[] => [
  line('RSS (sampled from outside)', SERIES.rss),
  ...HEAP_SERIES.map((s) => line(s.label, s.color, s.axis)),
  { ...line(LIVE_MARKS_LABEL, LIVE_MARKS_COLOR), showLine: false, pointRadius: 5, pointHoverRadius: 6, pointStyle: 'rectRot' },
];

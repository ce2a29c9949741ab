// A run as files: the full JSON record (which doubles as a replay fixture) and a CSV of samples.
import { RunRecord, type HeapSample, type Phase } from './run-record.js';
import { describeZodError } from './validation.js';

export const CSV_COLUMNS = ['t_ms', 'rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'phase'] as const;

const phaseAt = (phases: readonly Phase[], t: number): string =>
  phases.find((p) => t >= p.start && (p.end === undefined || t <= p.end))?.name ?? '';

/**
 * One row per reading, in time order: each RSS sample (heap columns empty) and each of the
 * runtime's own heap reports (rss empty), merged into one row where both share a time. Time is ms
 * since the run started; the phase is the one the reading falls in (empty between phases). Heap
 * reports come every ≤ 50 ms: a cell is filled only where there was a reading, never carried forward.
 */
export function runToCsv(record: RunRecord): string {
  const rows = [CSV_COLUMNS.join(',')];
  const cell = (v: number | undefined) => (v === undefined ? '' : String(v));
  const { samples, heap } = record;
  let i = 0;
  let j = 0;
  while (i < samples.length || j < heap.length) {
    const s = samples[i];
    const h: HeapSample | undefined = heap[j];
    const t = Math.min(s?.t ?? Infinity, h?.t ?? Infinity);
    const rss = s && s.t === t ? (i++, s.rss) : undefined;
    const figures = h && h.t === t ? (j++, h) : undefined;
    rows.push([(t - record.createdAt).toFixed(3), cell(rss), cell(figures?.heapUsed), cell(figures?.heapTotal), cell(figures?.external), cell(figures?.arrayBuffers), phaseAt(record.phases, t)].join(','));
  }
  return rows.join('\n') + '\n';
}

export const runToJson = (record: RunRecord): string => JSON.stringify(record, null, 1);

export type ImportResult = { ok: true; record: RunRecord } | { ok: false; error: string };

/** Parses and validates a run file; the error names the field that is wrong. */
export function parseRunJson(text: string): ImportResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = RunRecord.safeParse(json);
  return parsed.success ? { ok: true, record: parsed.data } : { ok: false, error: `not a memtide run: ${describeZodError(parsed.error)}` };
}

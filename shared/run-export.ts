// A run as files: the full JSON record (which doubles as a replay fixture) and a CSV of samples.
import { RunRecord, type HeapSample, type Phase } from './run-record.js';
import { describeZodError } from './validation.js';
import { nearestAtOrBefore } from './summary.js';

export const CSV_COLUMNS = ['t_ms', 'rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'phase'] as const;

const phaseAt = (phases: readonly Phase[], t: number): string =>
  phases.find((p) => t >= p.start && (p.end === undefined || t <= p.end))?.name ?? '';

/**
 * One row per RSS sample: time since the run started (ms), RSS (bytes), the runtime's latest heap
 * figures at that time (empty before the first), and the phase it falls in (empty between phases).
 */
export function runToCsv(record: RunRecord): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const s of record.samples) {
    const h: HeapSample | undefined = record.heap.length && record.heap[0]!.t <= s.t ? nearestAtOrBefore(record.heap, s.t) : undefined;
    const cell = (v: number | undefined) => (v === undefined ? '' : String(v));
    rows.push([(s.t - record.createdAt).toFixed(3), s.rss, cell(h?.heapUsed), cell(h?.heapTotal), cell(h?.external), cell(h?.arrayBuffers), phaseAt(record.phases, s.t)].join(','));
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

// A run record as database rows and back. The `runs` row keeps the whole RunInfo as JSON (`info`)
// plus the columns lists filter and sort on, copied from it; `run_data` keeps the series: RSS
// samples through sample-codec.ts, heap reports deflated, phases and breakdowns as plain JSON (for
// the sqlite3 shell), and any other part of a record (a watch's timeline) deflated in `extra`.
// Rows read back are validated like any other input: a damaged row is an error, not a run.
import { deflateSync, inflateSync } from 'node:zlib';
import { findExperiment } from '../../shared/catalog/index.js';
import { RunInfo, RunRecord } from '../../shared/run-record.js';
import { describeZodError } from '../../shared/validation.js';
import { unpackSamples, type PackedSamples } from '../sampling/packed-samples.js';
import { decodePacked, encodeSamples } from './sample-codec.js';
import { StoreError } from './store-errors.js';

/** The columns of `runs` a writer fills (seq is SQLite's). */
export interface RunRow {
  id: string;
  kind: string;
  experiment: string;
  runtime: string;
  status: string;
  created_at: number;
  ended_at: number | null;
  sample_hz: number;
  sample_count: number;
  overall_pct: number | null;
  final_pct: number | null;
  verdict: string | null;
  error: string | null;
  search: string;
  info: string;
}

export interface DataRow {
  samples_codec: string;
  samples: Buffer;
  phases: string;
  breakdowns: string;
  heap: Buffer;
  extra: Buffer;
}

const SERIES = ['samples', 'heap', 'phases', 'breakdowns'] as const;
const INFO_KEYS = new Set(Object.keys(RunInfo.shape));

/** What ?q= searches, lower-cased the same way as the query (run-query.ts): JS decides both sides. */
export function searchText(info: RunInfo): string {
  const title = findExperiment(info.experiment)?.title ?? '';
  const params = Object.entries(info.params).map(([k, v]) => `${k}=${v}`);
  const knobs = Object.entries(info.knobs ?? {}).filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  return [info.id, info.experiment, title, ...params, ...knobs].join(' ').toLowerCase();
}

/** A run's verdict, or a watch's (a watch has no summary; the history shows its verdict from info.watch): the `verdict` column and ?verdict= go by this. */
export const verdictOf = (run: Pick<RunInfo, 'summary' | 'watch'>): string | undefined => run.summary?.verdict ?? run.watch?.verdict?.verdict;

export const infoOf = (record: RunRecord): RunInfo => {
  const info: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (INFO_KEYS.has(key)) info[key] = value;
  return info as RunInfo;
};

export function runRow(record: RunRecord): RunRow {
  const info = infoOf(record);
  const { unsaved: _unsaved, queuePosition: _position, ...stored } = info; // a stored run is neither
  const kind = (record as { kind?: string }).kind ?? 'run';
  return {
    id: record.id, kind, experiment: record.experiment, runtime: record.runtime, status: record.status,
    created_at: record.createdAt, ended_at: record.endedAt ?? null, sample_hz: record.sampleHz, sample_count: record.samples.length,
    overall_pct: record.summary?.overallPct ?? null, final_pct: record.summary?.finalPct ?? null,
    verdict: verdictOf(record) ?? null, error: record.error ?? null,
    search: searchText(info), info: JSON.stringify(stored),
  };
}

export function dataRow(record: RunRecord): DataRow {
  const { codec, blob } = encodeSamples(record.samples);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!INFO_KEYS.has(key) && !(SERIES as readonly string[]).includes(key)) extra[key] = value;
  }
  return {
    samples_codec: codec, samples: blob,
    phases: JSON.stringify(record.phases), breakdowns: JSON.stringify(record.breakdowns),
    heap: deflateSync(JSON.stringify(record.heap)), extra: deflateSync(JSON.stringify(extra)),
  };
}

/** The RunInfo of a `runs` row, checked; throws naming the run when the row is not one. */
export function infoFromRow(row: { id: string; info: string }): RunInfo {
  const parsed = RunInfo.safeParse(parseJson(row.info, row.id, 'info'));
  if (!parsed.success) throw new StoreError('damaged', `run ${row.id}: the stored info is not a run (${describeZodError(parsed.error)})`);
  if (parsed.data.id !== row.id) throw new StoreError('damaged', `run ${row.id}: the stored info is of run ${parsed.data.id}`);
  return parsed.data;
}

/** Everything of a run but its samples, checked by the schema (samples left empty). */
function checkedRest(row: { id: string; info: string }, data: DataRow): RunRecord {
  const candidate = {
    ...(parseJson(inflated(data.extra, row.id, 'extra'), row.id, 'extra') as object),
    ...(parseJson(row.info, row.id, 'info') as object),
    phases: parseJson(data.phases, row.id, 'phases'),
    breakdowns: parseJson(data.breakdowns, row.id, 'breakdowns'),
    heap: parseJson(inflated(data.heap, row.id, 'heap'), row.id, 'heap'),
    samples: [],
  };
  const parsed = RunRecord.safeParse(candidate);
  if (!parsed.success) throw new StoreError('damaged', `run ${row.id}: the stored record is not a run (${describeZodError(parsed.error)})`);
  if (parsed.data.id !== row.id) throw new StoreError('damaged', `run ${row.id}: the stored record is of run ${parsed.data.id}`);
  return parsed.data;
}

/** A run's samples, checked by their codec (count, checksum, finite and ≥ 0): zod over 120 000 objects would cost more than the rest. */
export function decodedSamples(id: string, codec: string, blob: Uint8Array): PackedSamples {
  try {
    return decodePacked(codec, blob);
  } catch (error) {
    throw new StoreError('damaged', `run ${id}: ${(error as Error).message}`);
  }
}

/** The whole record of a run's two rows, checked. */
export function recordFromRows(row: { id: string; info: string }, data: DataRow): RunRecord {
  const packed = decodedSamples(row.id, data.samples_codec, data.samples);
  const record = checkedRest(row, data);
  record.samples = unpackSamples(packed);
  return record;
}

/** What the JSON of a stored run is written from (record-json.ts): the rest checked and as text, the samples still encoded. */
export interface RecordJsonParts {
  id: string;
  /** The record's JSON up to where the samples go: `{…,"samples":[`. */
  head: string;
  codec: string;
  samples: Uint8Array;
}

export function recordJsonParts(row: { id: string; info: string }, data: DataRow): RecordJsonParts {
  const { samples: _empty, ...rest } = checkedRest(row, data);
  return { id: row.id, head: `${JSON.stringify(rest).slice(0, -1)},"samples":[`, codec: data.samples_codec, samples: data.samples };
}

function inflated(blob: Buffer, id: string, column: string): string {
  try {
    return inflateSync(blob).toString('utf8');
  } catch (error) {
    throw new StoreError('damaged', `run ${id}: the ${column} column does not inflate (${(error as Error).message})`);
  }
}

function parseJson(text: string, id: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StoreError('damaged', `run ${id}: the ${column} column is not JSON (${(error as Error).message})`);
  }
}

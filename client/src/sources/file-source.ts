// Runs held in the page, read from files: imported JSON in the dashboard, or the runs embedded in a
// report. A RunSource like the live server, minus starting and cancelling.
import type { Experiment } from '../../../shared/catalog/experiment.js';
import { isEnded, runInfo, type RunInfo, type RunRecord } from '../../../shared/run-record.js';
import type { RunSource } from './run-source.js';

export interface FileSource extends RunSource {
  /** Keeps a record read from a file; returns it as kept (see importedRecord). */
  add(record: RunRecord, taken: (id: string) => boolean): RunRecord;
  infos(): RunInfo[];
}

/** Without the timeline (a watch's too): what history rows hold. */
export const infoOf = (record: RunRecord): RunInfo => runInfo(record);

/**
 * A record as an import keeps it: a file saved mid-run is a snapshot that will never end here, so
 * it shows as failed; an id this page already knows (an export of this server's own run) gets a
 * fresh one, so the copy never shadows, or deletes, the server's run.
 */
export function importedRecord(record: RunRecord, taken: (id: string) => boolean): RunRecord {
  const ended = isEnded(record) ? record : { ...record, status: 'failed' as const, error: `imported while ${record.status}: a snapshot` };
  let kept = ended;
  for (let n = 2; taken(kept.id); n++) kept = { ...ended, id: `${ended.id.slice(0, 56)}-copy${n}` };
  return kept;
}

export function fileSource(initial: readonly RunRecord[] = [], catalog: readonly Experiment[] = []): FileSource {
  const records = new Map(initial.map((r) => [r.id, r]));
  return {
    connect(emit) {
      emit({ type: 'connection', state: 'file', detail: 'from a file' });
      emit({ type: 'file-runs', runs: [...records.values()].map(infoOf) });
      emit({ type: 'hello', version: '', catalog: [...catalog], runs: [], history: { runs: [], total: 0 }, unsaved: [] });
    },
    async load(id) {
      const record = records.get(id);
      if (!record) throw new Error(`id: no run "${id}" in this file`);
      return record;
    },
    async remove(id) {
      records.delete(id);
    },
    add(record, taken) {
      const kept = importedRecord(record, (id) => taken(id) || records.has(id));
      records.set(kept.id, kept);
      return kept;
    },
    infos: () => [...records.values()].map(infoOf),
  };
}

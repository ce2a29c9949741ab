// A remedy (summary.remedies, shared/verdict-text.ts) as the run that would try it: the same
// experiment with the run's own settings, the remedy's knobs, settle and params laid over them —
// for a run of the user's own code, that same code (from the full record: run lists leave it out).
// Pure, so a Node test pins what the button would ask for.
import { formatCount, formatSeconds } from '../format.js';
import { KNOB_DEFS, type KnobName, type Knobs } from '../../../shared/knobs.js';
import type { CreateRunBody } from '../../../shared/protocol/http.js';
import { CUSTOM_EXPERIMENT } from '../../../shared/custom/facts.js';
import type { Remedy, RunInfo, RunRecord } from '../../../shared/run-record.js';

type RunSettings = Pick<RunInfo, 'experiment' | 'params' | 'knobs' | 'settleMs' | 'sampleHz' | 'memoryCapMiB'> & Partial<Pick<RunRecord, 'runtime' | 'code' | 'customName'>>;

/** Whether the request needs the run's full record (its code) first. */
export const needsRecord = (run: Pick<RunInfo, 'experiment'>): boolean => run.experiment === CUSTOM_EXPERIMENT;

export function remedyRequest(run: RunSettings, remedy: Remedy): CreateRunBody {
  const knobs: Knobs = { ...run.knobs, ...remedy.knobs };
  const settleMs = remedy.settleMs ?? run.settleMs;
  const custom = needsRecord(run) && run.code && run.runtime !== 'other' && run.runtime !== undefined
    ? { runtime: run.runtime, code: run.code, ...(run.customName && { name: run.customName }) }
    : {};
  return {
    experiment: run.experiment,
    ...custom,
    params: { ...run.params, ...remedy.params },
    ...(Object.keys(knobs).length > 0 && { knobs }),
    ...(settleMs !== undefined && { settleMs }),
    sampleHz: run.sampleHz,
    ...(run.memoryCapMiB !== undefined && { memoryCapMiB: run.memoryCapMiB }),
  };
}

const knobWords = (name: KnobName, value: unknown): string => {
  const label = KNOB_DEFS[name].label;
  return value === true ? `${label} on` : value === false ? `${label} off` : `${label} ${String(value)}`;
};

/** What the remedy changes, in the knobs' own labels: "trim phase on · settle 31.0 s". */
export function remedyChanges(remedy: Remedy): string {
  return [
    ...Object.entries(remedy.knobs ?? {}).map(([name, value]) => knobWords(name as KnobName, value)),
    ...(remedy.settleMs === undefined ? [] : [`settle ${formatSeconds(remedy.settleMs)}`]),
    ...Object.entries(remedy.params ?? {}).map(([name, value]) => `${name} = ${formatCount(value)}`),
  ].join(' · ');
}

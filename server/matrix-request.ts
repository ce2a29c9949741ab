// A request for an allocator matrix, checked once for every way in (POST /api/matrices, `memtide
// matrix`): the experiment and its params as for any run, then one run request per setting of
// shared/matrix.ts this machine can run, each checked by parseRunRequest; the others are skipped
// with the reason. Any other mistake refuses the whole matrix.
import { findExperiment } from '../shared/catalog/index.js';
import { matrixSettingsFor, type MatrixSkip } from '../shared/matrix.js';
import { CreateMatrixBody } from '../shared/protocol/http.js';
import { describeZodError, quote } from '../shared/validation.js';
import { firstUnavailableKnob, type Machine } from './machine.js';
import { newRunId, parseRunRequest, type RunDefaults, type RunRequest } from './run-request.js';

export interface MatrixRequest {
  id: string;
  /** One per setting this machine can run, in MATRIX_SETTINGS order, each tagged with the matrix. */
  runs: (RunRequest & { matrix: { id: string; setting: string } })[];
  skipped: MatrixSkip[];
}

export type MatrixRequestResult = { ok: true; request: MatrixRequest } | { ok: false; error: string };

export function parseMatrixRequest(body: unknown, machine: Machine, defaults: RunDefaults = {}): MatrixRequestResult {
  const refuse = (error: string): MatrixRequestResult => ({ ok: false, error });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('body: must be a JSON object like {"experiment": "py-fragmentation"}');
  }
  const parsed = CreateMatrixBody.safeParse(body);
  if (!parsed.success) return refuse(describeZodError(parsed.error));
  const experiment = findExperiment(parsed.data.experiment);
  if (!experiment) return refuse(`experiment: unknown experiment ${quote(parsed.data.experiment)}`);
  const id = newRunId();
  const request: MatrixRequest = { id, runs: [], skipped: [] };
  for (const setting of matrixSettingsFor(experiment.runtime)) {
    const missing = firstUnavailableKnob(setting.knobs, experiment.runtime, machine);
    if (missing) {
      request.skipped.push({ setting: setting.name, reason: missing });
      continue;
    }
    const run = parseRunRequest({ ...parsed.data, knobs: setting.knobs }, machine, defaults);
    if (!run.ok) return refuse(run.error);
    request.runs.push({ ...run.request, matrix: { id, setting: setting.name } });
  }
  return { ok: true, request };
}

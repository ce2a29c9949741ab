// The experiment catalog: the one list of experiment ids. The Node worker's table is keyed by it;
// server/workers/python-worker.py repeats the Python ids and shared/worker-agreement.test.ts checks them.
//
// "The seed", wherever memtide's code and texts say it, is the question memtide grew from: a
// classic answer on releasing memory in Python that measures RSS around three steps (allocate
// 10⁷ references, `['abc' for x in range(10**7)]`; `del` them; `gc.collect()`) and prints each as
// a percent of the baseline: Allocation, Unreference, Collect, Overall. "The seed's table" is
// those four lines (shared/summary.ts computes them); `seed-strings` and `py-seed` re-run it.
import type { Params } from '../run-record.js';
import type { CatalogEntry, Experiment } from './experiment.js';
import { NODE_EXPERIMENTS } from './node.js';
import { PYTHON_EXPERIMENTS } from './python.js';

export type { CatalogEntry } from './experiment.js';
export { NODE_EXPERIMENTS, PYTHON_EXPERIMENTS };

export const CATALOG: readonly CatalogEntry[] = [...NODE_EXPERIMENTS, ...PYTHON_EXPERIMENTS];

export type NodeExperimentId = (typeof NODE_EXPERIMENTS)[number]['id'];
export type PythonExperimentId = (typeof PYTHON_EXPERIMENTS)[number]['id'];

export function findExperiment(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

export type ParamsResult = { ok: true; params: Params } | { ok: false; error: string };

/** Checks params against an experiment's specs (known names, integers, in bounds) and fills defaults. */
export function resolveParams(experiment: Pick<Experiment, 'id' | 'params'>, given: Params = {}): ParamsResult {
  for (const name of Object.keys(given)) {
    if (!experiment.params.some((p) => p.name === name)) {
      const known = experiment.params.map((p) => p.name).join(', ');
      return { ok: false, error: `params.${name.slice(0, 40)}: unknown parameter for ${experiment.id} (known: ${known})` };
    }
  }
  const params: Params = {};
  for (const spec of experiment.params) {
    const value = given[spec.name] ?? spec.default;
    if (!Number.isSafeInteger(value)) return { ok: false, error: `params.${spec.name}: must be an integer, got ${value}` };
    if (value < spec.min || value > spec.max) {
      return { ok: false, error: `params.${spec.name}: must be between ${spec.min} and ${spec.max}, got ${value}` };
    }
    params[spec.name] = value;
  }
  return { ok: true, params };
}

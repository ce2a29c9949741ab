// The Node worker's check of its spec. The server validated it against shared/protocol/worker.ts
// before spawning; this re-check is by hand because loading zod here would add ~14 MiB to the very
// baseline every percentage is measured against.
import { CODE_FD } from '../../shared/custom/facts.js';
import { ALL_PHASES, type AnyPhaseName } from '../../shared/phases.js';
import type { WorkerSpec } from '../../shared/protocol/worker.js';
import type { Params } from '../../shared/run-record.js';

const isPhase = (value: unknown): value is AnyPhaseName => (ALL_PHASES as readonly unknown[]).includes(value);

export function parseWorkerSpec(text: string | undefined): WorkerSpec {
  const spec = JSON.parse(text ?? 'null') as Record<string, unknown> | null;
  if (typeof spec !== 'object' || spec === null) throw new Error('bad spec: must be a JSON object');
  if (typeof spec.experiment !== 'string') throw new Error('bad spec: experiment must be a string');
  const params: Params = {};
  for (const [name, value] of Object.entries((spec.params ?? {}) as Record<string, unknown>)) {
    if (!Number.isSafeInteger(value)) throw new Error(`bad spec: params.${name} must be an integer`);
    params[name] = value as number;
  }
  if (!Array.isArray(spec.phases) || spec.phases.length === 0 || !spec.phases.every(isPhase)) {
    throw new Error(`bad spec: phases must be a list of ${ALL_PHASES.join(', ')}`);
  }
  const ms = (name: 'baselineMs' | 'settleMs' | 'reportEveryMs') => {
    const value = spec[name];
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Error(`bad spec: ${name} must be a whole number of ms`);
    return value as number;
  };
  if (spec.codeFd !== undefined && spec.codeFd !== CODE_FD) throw new Error(`bad spec: codeFd must be ${CODE_FD}`);
  return {
    experiment: spec.experiment, params, phases: spec.phases, baselineMs: ms('baselineMs'), settleMs: ms('settleMs'), reportEveryMs: Math.max(1, ms('reportEveryMs')),
    ...(spec.codeFd === CODE_FD && { codeFd: CODE_FD }),
  };
}

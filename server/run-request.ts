// A request to run an experiment, checked once for every way in: POST /api/runs (http-api.ts), the
// CLI (cli.ts), and whatever starts runs next. parseRunRequest answers with the request resolved
// against the catalog and this machine, or with what is wrong ("field: why"); it knows nothing of
// HTTP. newRunRecord is the one place a run's record is built.
import { createHash, randomBytes } from 'node:crypto';
import { findExperiment, resolveParams } from '../shared/catalog/index.js';
import type { Experiment } from '../shared/catalog/experiment.js';
import { CUSTOM_EXPERIMENT, runCodeOf, type RunCode } from '../shared/custom/code.js';
import { knobEnvironment, knobMisfit, type Knobs } from '../shared/knobs.js';
import { DEFAULT_WALL_CLOCK_S, SETTLE_MS } from '../shared/limits.js';
import { CreateRunBody } from '../shared/protocol/http.js';
import type { Params, RunRecord } from '../shared/run-record.js';
import { now } from '../shared/units.js';
import { describeZodError, quote } from '../shared/validation.js';
import { experimentUnavailableReason, firstUnavailableKnob, type Machine } from './machine.js';
import { checkMemoryCap, defaultMemoryCapMiB, machineMaxCapMiB } from './run-limits.js';
import { hasProc } from './sampling/proc-statm.js';

/** 1 kHz where /proc lets a thread read RSS in ~3 µs; pidusage (~0.3 ms a call) elsewhere. */
export const DEFAULT_SAMPLE_HZ = hasProc() ? 1000 : 20;

/** What a request gets when it does not say (the server's settings: config.ts). */
export interface RunDefaults {
  sampleHz?: number;
  memoryCapMiB?: number;
  /** The most a request may ask for; default 90 % of the machine's memory. */
  maxMemoryCapMiB?: number;
  wallClockCapS?: number;
}

/** A run as asked for, every default filled in and every setting checked. */
export interface RunRequest {
  experiment: Pick<Experiment, 'id' | 'runtime'>;
  params: Params;
  /** The knobs as asked for, and the environment they become (shared/knobs.ts). */
  knobs: Knobs;
  workerEnv: Record<string, string>;
  /** The Python interpreter, for python experiments. */
  python?: string;
  memoryCapMiB: number;
  wallClockCapS: number;
  sampleHz: number;
  settleMs: number;
  /** A custom run: the code exactly as it will run (defaults filled in), and the name it was given. */
  code?: RunCode;
  customName?: string;
  /** Set when the run is one setting of an allocator matrix (matrix-request.ts). */
  matrix?: { id: string; setting: string };
}

export type RunRequestResult = { ok: true; request: RunRequest } | { ok: false; error: string };

export function parseRunRequest(body: unknown, machine: Machine, defaults: RunDefaults = {}): RunRequestResult {
  const refuse = (error: string): RunRequestResult => ({ ok: false, error });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('body: must be a JSON object like {"experiment": "seed-strings"}');
  }
  const parsed = CreateRunBody.safeParse(body);
  if (!parsed.success) return refuse(describeZodError(parsed.error));
  const asked = parsed.data;
  const custom = asked.experiment === CUSTOM_EXPERIMENT;
  if (custom && !asked.runtime) return refuse('runtime: required with experiment "custom": "python" or "node"');
  if (custom && !asked.code) return refuse('code: required with experiment "custom": { allocate, setup?, unreference? }');
  for (const field of ['runtime', 'code', 'name'] as const) {
    if (!custom && asked[field] !== undefined) return refuse(`${field}: only with experiment "custom"`);
  }
  const experiment = custom ? { id: CUSTOM_EXPERIMENT, runtime: asked.runtime!, params: [] } : findExperiment(asked.experiment);
  if (!experiment) return refuse(`experiment: unknown experiment ${quote(asked.experiment)}`);
  const params = resolveParams(experiment, asked.params);
  if (!params.ok) return refuse(params.error);
  const knobs = asked.knobs ?? {};
  const misfit = knobMisfit(knobs, experiment.runtime);
  if (misfit) return refuse(misfit);
  const unavailable = experimentUnavailableReason(experiment, machine);
  if (unavailable) return refuse(`experiment: ${experiment.id} is not available on this machine: ${unavailable}`);
  const missing = firstUnavailableKnob(knobs, experiment.runtime, machine);
  if (missing) return refuse(missing);
  const maxCapMiB = defaults.maxMemoryCapMiB ?? machineMaxCapMiB();
  const cap = checkMemoryCap(asked.memoryCapMiB ?? defaults.memoryCapMiB ?? defaultMemoryCapMiB(maxCapMiB), 'memoryCapMiB', maxCapMiB);
  if (!cap.ok) return refuse(cap.error);
  return {
    ok: true,
    request: {
      experiment: { id: experiment.id, runtime: experiment.runtime },
      params: params.params,
      knobs,
      workerEnv: knobEnvironment(knobs, typeof machine.jemalloc === 'string' ? undefined : machine.jemalloc.path),
      ...(typeof machine.python !== 'string' && experiment.runtime === 'python' && { python: machine.python.command }),
      memoryCapMiB: cap.capMiB,
      wallClockCapS: defaults.wallClockCapS ?? DEFAULT_WALL_CLOCK_S,
      sampleHz: asked.sampleHz ?? defaults.sampleHz ?? DEFAULT_SAMPLE_HZ,
      settleMs: asked.settleMs ?? SETTLE_MS.default,
      ...(custom && { code: runCodeOf(asked.code!, experiment.runtime) }),
      ...(asked.name !== undefined && { customName: asked.name }),
    },
  };
}

/** sha256 of the runtime and the three fields as they ran: the same hash, the same experiment. */
export const codeHashOf = (runtime: string, code: RunCode): string =>
  createHash('sha256').update(JSON.stringify({ runtime, setup: code.setup, allocate: code.allocate, unreference: code.unreference })).digest('hex');

export const newRunId = (): string => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** The record of a run before its worker has said anything; run.ts fills it in from then on. */
export function newRunRecord(request: Omit<RunRequest, 'python'>, id = newRunId()): RunRecord {
  return {
    id,
    experiment: request.experiment.id,
    runtime: request.experiment.runtime,
    params: request.params,
    knobs: request.knobs,
    workerEnv: request.workerEnv,
    status: 'queued',
    createdAt: now(),
    settleMs: request.settleMs,
    sampleHz: request.sampleHz,
    sampler: 'none',
    summary: null,
    memoryCapMiB: request.memoryCapMiB,
    wallClockCapS: request.wallClockCapS,
    phases: [],
    samples: [],
    heap: [],
    breakdowns: [],
    ...(request.code && { code: request.code, codeHash: codeHashOf(request.experiment.runtime, request.code) }),
    ...(request.customName !== undefined && { customName: request.customName }),
    ...(request.matrix && { matrixId: request.matrix.id, matrixSetting: request.matrix.setting }),
  };
}

// The HTTP API: every route's request and its answer, used by the server (to check what comes in)
// and by the client (to check what comes back).
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { CodePolicy, CustomCode, SavedExperiment } from '../custom/code.js';
import { Knobs } from '../knobs.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, SETTLE_MS, WATCH_LIMITS } from '../limits.js';
import { Runtime } from '../runtimes.js';
import { Matrix, MatrixInfo, MatrixSkip } from '../matrix.js';
import { Params, RunId, RunInfo, RunRecord, RunStatus } from '../run-record.js';
import { Marker, PROBE_KINDS, ProbePermission, ProbeResult, ProcessEntry } from '../watch-record.js';

export { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN };

const settleError = `must be an integer from ${SETTLE_MS.min} to ${SETTLE_MS.max} (ms)`;
const sampleHzError = `must be a number from ${SAMPLE_HZ_MIN} to ${SAMPLE_HZ_MAX} (samples per second)`;

/** The query every API route accepts: only the access token (see server/security.ts). */
export const ApiQuery = z.strictObject({ token: z.string().max(256).optional() });

/** Every error answer: "field: what is wrong". */
export const ApiError = z.object({ error: z.string() });
export type ApiError = z.infer<typeof ApiError>;

/** The answer of calls that only succeed or fail (cancel, delete). */
export const OkAnswer = z.object({ ok: z.literal(true) });
export type OkAnswer = z.infer<typeof OkAnswer>;

/** GET /api/health */
export const HealthAnswer = z.object({ ok: z.literal(true), version: z.string() });
export type HealthAnswer = z.infer<typeof HealthAnswer>;

/** GET /api/experiments */
export const ExperimentsAnswer = z.array(Experiment);

/** POST /api/runs. Unknown keys are errors, not silently dropped. */
export const CreateRunBody = z.strictObject({
  experiment: z.string({ error: (issue) => (issue.input === undefined ? 'experiment: required, the id of an experiment' : 'experiment: must be a string, the id of an experiment') }).min(1),
  params: Params.optional(),
  knobs: Knobs.optional(),
  memoryCapMiB: z.number({ error: 'memoryCapMiB: must be a number of MiB' }).int('memoryCapMiB: must be an integer').optional(),
  sampleHz: z.number({ error: sampleHzError }).min(SAMPLE_HZ_MIN, sampleHzError).max(SAMPLE_HZ_MAX, sampleHzError).optional(),
  /** How long the settle phase idles (ms); default SETTLE_MS.default. */
  settleMs: z.number({ error: settleError }).refine((v) => Number.isInteger(v) && v >= SETTLE_MS.min && v <= SETTLE_MS.max, settleError).optional(),
  /** With experiment "custom" (and only then): the runtime and the user's code (shared/custom/code.ts). */
  runtime: Runtime.optional(),
  code: CustomCode.optional(),
  /** A custom run's name (a saved experiment's), shown in the history. */
  name: z.string().trim().min(1).max(80, 'must be at most 80 characters').optional(),
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/** Answer to POST /api/runs: started at once, or waiting at `position` in the queue. */
export const CreateRunAnswer = z.object({ id: RunId, status: z.enum(['running', 'queued']), position: z.number().int().positive().optional() });
export type CreateRunAnswer = z.infer<typeof CreateRunAnswer>;

/** GET /api/runs: the runs, newest first, without their samples. */
export const RunListAnswer = z.array(RunInfo);

/** GET /api/runs/:id: the full record. */
export const RunAnswer = RunRecord;

/** GET /api/experiments/custom: whether code may run here (and why not), and the saved experiments, newest first. */
export const CustomExperimentsAnswer = z.object({ code: CodePolicy, experiments: z.array(SavedExperiment) });
export type CustomExperimentsAnswer = z.infer<typeof CustomExperimentsAnswer>;

/** POST /api/experiments/custom, GET and PUT /api/experiments/custom/:id: the saved experiment. */
export const SavedExperimentAnswer = SavedExperiment;

/** POST /api/matrices: an experiment to run under every allocator setting (shared/matrix.ts); the
 * settings choose the knobs, so a body with `knobs` is refused; custom code is not (yet) run as a matrix. */
export const CreateMatrixBody = CreateRunBody.omit({ knobs: true, runtime: true, code: true, name: true });
export type CreateMatrixBody = z.infer<typeof CreateMatrixBody>;

/** Answer to POST /api/matrices (201): the matrix id, each setting's run as queued or started, and
 * the settings this machine cannot run. */
export const CreateMatrixAnswer = z.object({
  id: RunId,
  /** `failed` when its worker could not be spawned (the next one starts, as for any queued run). */
  runs: z.array(z.object({ setting: z.string(), id: RunId, status: RunStatus, position: z.number().int().positive().optional() })),
  skipped: z.array(MatrixSkip),
});
export type CreateMatrixAnswer = z.infer<typeof CreateMatrixAnswer>;

/** GET /api/matrices: every matrix, newest first, without its table. */
export const MatrixListAnswer = z.array(MatrixInfo);

/** GET /api/matrices/:id: the matrix and its table. */
export const MatrixAnswer = Matrix;
// ---- watching a running process (server/watch/) ----

/** GET /api/processes: what this server's user may inspect, biggest RSS first. */
export const ProcessListAnswer = z.object({
  processes: z.array(ProcessEntry),
  /** The server's uid; as root (0) every user's processes are listed and may be watched. */
  uid: z.number().int().nonnegative(),
  /** What the list covers, in words ("running as root: every user's processes"). */
  scope: z.string(),
  /** Whether gdb probes can run at all here (gdb installed, server on loopback or MEMTIDE_ALLOW_PROBES=1). */
  gdbProbes: ProbePermission,
  /** Whether the Node GC probe (the inspector) can run (loopback or MEMTIDE_ALLOW_PROBES=1). */
  inspectorProbes: ProbePermission,
});
export type ProcessListAnswer = z.infer<typeof ProcessListAnswer>;

const pidError = 'pid: must be a process id (a positive integer)';
const durationError = `durationS: must be a number of seconds from 1 to ${WATCH_LIMITS.maxDurationS}`;

/** POST /api/watches. `probes: true` allows gdb probes in this watch (the target is stopped while gdb is attached). */
export const CreateWatchBody = z.strictObject({
  pid: z.number({ error: pidError }).int(pidError).positive(pidError).max(2 ** 22, pidError),
  sampleHz: z.number({ error: sampleHzError }).min(SAMPLE_HZ_MIN, sampleHzError).max(SAMPLE_HZ_MAX, sampleHzError).optional(),
  probes: z.boolean({ error: 'probes: must be true or false' }).optional(),
  durationS: z.number({ error: durationError }).min(1, durationError).max(WATCH_LIMITS.maxDurationS, durationError).optional(),
});
export type CreateWatchBody = z.infer<typeof CreateWatchBody>;

export const CreateWatchAnswer = z.object({ id: RunId });
export type CreateWatchAnswer = z.infer<typeof CreateWatchAnswer>;

const labelError = `label: must be text of 1 to ${WATCH_LIMITS.markerLabelMax} characters`;
/** POST /api/watches/:id/markers → the Marker, stamped with the server's clock. */
export const MarkerBody = z.strictObject({
  label: z.string({ error: labelError }).trim().min(1, labelError).max(WATCH_LIMITS.markerLabelMax, labelError),
});
export type MarkerBody = z.infer<typeof MarkerBody>;
export const MarkerAnswer = Marker;

/** POST /api/watches/:id/probe → the ProbeResult, once the probe ended and RSS was read again. */
export const ProbeBody = z.strictObject({ kind: z.enum(PROBE_KINDS, { error: `kind: must be ${PROBE_KINDS.map((k) => `"${k}"`).join(' or ')}` }) });
export type ProbeBody = z.infer<typeof ProbeBody>;
export const ProbeAnswer = ProbeResult;

/** GET /api/watches: the watches going on now. GET /api/watches/:id: one, live or ended. Ended
 * watches are also in GET /api/runs (kind 'watch'). POST /api/watches/:id/stop → OkAnswer. */
export const WatchListAnswer = z.array(RunInfo);
export const WatchAnswer = RunRecord;

// The HTTP API: every route's request and its answer, used by the server (to check what comes in)
// and by the client (to check what comes back).
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { CodePolicy, CustomCode, SavedExperiment } from '../custom/code.js';
import { Knobs } from '../knobs.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, SETTLE_MS, WATCH_LIMITS } from '../limits.js';
import { Runtime, RECORD_RUNTIMES } from '../runtimes.js';
import { Matrix, MatrixInfo, MatrixSkip } from '../matrix.js';
import { Params, RUN_STATUSES, RunId, RunInfo, RunRecord, RunStatus, VERDICTS, type Sample } from '../run-record.js';
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

// ---- GET /api/runs: every run (no query), or one page of them (any paging or filter field), without their samples ----

/**
 * GET /api/runs with no query: every run, newest first, the bare array it always was (kept for
 * outside scripts). New callers pass `?limit=` and get a RunListPage.
 */
export const RunListAnswer = z.array(RunInfo);

export const RUN_LIST_LIMIT = { default: 50, max: 500 } as const;
/** `date`: when the run started; `overall`: the seed's Overall (runs without one come last either way). */
export const RUN_SORTS = ['date', 'overall'] as const;
export const SORT_ORDERS = ['desc', 'asc'] as const;
export type RunSort = (typeof RUN_SORTS)[number];
export type SortOrder = (typeof SORT_ORDERS)[number];

// Messages name no field: the server's describeZodError puts "query.<field>: " before them.
const limitError = `must be an integer from 1 to ${RUN_LIST_LIMIT.max}`;
const text = (max: number) => {
  const error = `must be text of 1 to ${max} characters, given once`;
  return z.string({ error }).min(1, error).max(max, error);
};
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.map((v) => `"${v}"`).join(', ')}, given once` });

/**
 * The query of GET /api/runs (a repeated or unknown field is an error). `before` is the `next`
 * of the page before, only valid with the same sort and order; every filter must hold (AND); `q`
 * is matched, ignoring case, in the experiment's id and title, the params, the knobs and the run id.
 */
export const RunListQuery = z.strictObject({
  token: z.string().max(256).optional(),
  limit: z.string({ error: limitError }).regex(/^\d{1,4}$/, limitError).transform(Number)
    .refine((n) => n >= 1 && n <= RUN_LIST_LIMIT.max, limitError).optional(),
  before: text(300).optional(),
  experiment: text(100).optional(),
  runtime: oneOf(RECORD_RUNTIMES).optional(),
  verdict: oneOf(VERDICTS).optional(),
  status: oneOf(RUN_STATUSES).optional(),
  q: text(200).optional(),
  sort: oneOf(RUN_SORTS).optional(),
  order: oneOf(SORT_ORDERS).optional(),
});
/** A page asked for, as the client holds it (no token; limit as a number). */
export type RunListQuery = Omit<z.output<typeof RunListQuery>, 'token'>;

/** The query string of a RunListQuery, fields in a fixed order (empty ones left out). */
export function runListSearch(query: RunListQuery): string {
  const params = new URLSearchParams();
  for (const key of ['limit', 'before', 'experiment', 'runtime', 'verdict', 'status', 'q', 'sort', 'order'] as const) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `?${search}` : '';
}

/**
 * GET /api/runs: the runs matching the filters (running and queued ones included), newest first
 * unless sorted otherwise, `limit` of them; `total` counts every match stored, damaged rows
 * included (they are in the database; the server cannot list them); `damaged`, when there are any
 * among the rows this page passed over, says how many were left out (the server's log names them);
 * `next`, when there are more, is the `before` of the next page.
 *
 * Without any query field the answer stays the bare array of every run (RunListAnswer); with one
 * (`?limit=50` is enough) it is this page, and `next` leads to the one after.
 */
export const RunListPage = z.object({
  runs: z.array(RunInfo),
  total: z.number().int().nonnegative(),
  next: z.string().optional(),
  damaged: z.number().int().positive().optional(),
});
export type RunListPage = z.infer<typeof RunListPage>;

/**
 * GET /api/runs/:id: the full record. The same check as RunRecord, but the RSS samples are checked
 * by a loop, not by zod object by object: a 120 s run has 120 000 of them, ~200 ms of zod in a page
 * that cannot compile parsers (its CSP forbids eval). Same result: {t, rss} finite and ≥ 0, other
 * keys dropped, the first bad one named.
 */
export const RunAnswer = RunRecord.omit({ samples: true }).extend({
  samples: z.unknown().transform((value, ctx): Sample[] => {
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an array of samples' });
      return z.NEVER;
    }
    const out = new Array<Sample>(value.length);
    for (let i = 0; i < value.length; i++) {
      const s = value[i] as { t?: unknown; rss?: unknown } | null;
      const { t, rss } = s ?? {};
      if (typeof t !== 'number' || typeof rss !== 'number' || !Number.isFinite(t) || !Number.isFinite(rss) || t < 0 || rss < 0) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'must be { t, rss }: finite numbers ≥ 0' });
        return z.NEVER;
      }
      out[i] = { t, rss };
    }
    return out;
  }),
});


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
export const WatchAnswer = RunAnswer;

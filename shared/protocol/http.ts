// The HTTP API: every route's request and its answer, used by the server (to check what comes in)
// and by the client (to check what comes back).
import { z } from 'zod';
import { Experiment } from '../catalog/experiment.js';
import { Knobs } from '../knobs.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, SETTLE_MS } from '../limits.js';
import { Params, RUN_STATUSES, RunId, RunInfo, RunRecord, VERDICTS, type Sample } from '../run-record.js';
import { RUNTIMES } from '../runtimes.js';

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
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/** Answer to POST /api/runs: started at once, or waiting at `position` in the queue. */
export const CreateRunAnswer = z.object({ id: RunId, status: z.enum(['running', 'queued']), position: z.number().int().positive().optional() });
export type CreateRunAnswer = z.infer<typeof CreateRunAnswer>;

// ---- GET /api/runs: one page of the runs, without their samples ----

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
  runtime: oneOf(RUNTIMES).optional(),
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
 * unless sorted otherwise, `limit` of them; `total` counts every match; `next`, when there are
 * more, is the `before` of the next page.
 *
 * Until memtide 0.1 this answer was a bare array of every run; callers read `.runs` now, and follow
 * `next` for more than one page.
 */
export const RunListPage = z.object({
  runs: z.array(RunInfo),
  total: z.number().int().nonnegative(),
  next: z.string().optional(),
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

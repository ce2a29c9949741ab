// The allocator matrix: one experiment run under each allocator setting worth trying, to answer
// "which setting gives my memory back?". MATRIX_SETTINGS is the one list of those settings; a
// matrix is nothing but its runs (each run's record carries matrixId and matrixSetting), so it is
// rebuilt from stored runs after a restart. matrixRows() is the table both sides show.
import { z } from 'zod';
import { formatMiB, formatSignedMiB } from './format.js';
import type { Knobs } from './knobs.js';
import { Params, RunId, RunStatus, Time, Verdict, type RunInfo } from './run-record.js';
import { Runtime } from './runtimes.js';

export interface MatrixSettingDef {
  name: string;
  /** The knobs the setting becomes (shared/knobs.ts). */
  knobs: Knobs;
  /** Only these runtimes (all when absent). */
  runtimes?: readonly Runtime[];
  /** Why someone would try it. */
  help: string;
}

export const MATRIX_SETTINGS = [
  { name: 'glibc', knobs: {}, help: "the default: glibc malloc, memory returned only from its heap's top or whole mmaps" },
  { name: 'glibc + trim', knobs: { trim: true }, help: 'malloc_trim(0) after collect: free pages inside the heap go back too' },
  { name: 'jemalloc', knobs: { allocator: 'jemalloc' }, help: 'jemalloc preloaded: freed pages purged after its decay time (10 s by default)' },
  {
    name: 'jemalloc decay 0', knobs: { allocator: 'jemalloc', jemallocDirtyDecayMs: 0, jemallocMuzzyDecayMs: 0 },
    help: 'jemalloc purging freed pages at once (dirty_decay_ms:0, muzzy_decay_ms:0)',
  },
  { name: 'PYTHONMALLOC=malloc', knobs: { pythonMalloc: 'malloc' }, runtimes: ['python'], help: "objects from malloc, not pymalloc's arenas" },
] as const satisfies readonly MatrixSettingDef[];

export type MatrixSettingName = (typeof MATRIX_SETTINGS)[number]['name'];
export const MATRIX_SETTING_NAMES = MATRIX_SETTINGS.map((s) => s.name) as [MatrixSettingName, ...MatrixSettingName[]];

/** The settings a matrix of this runtime tries, in the table's order. */
export const matrixSettingsFor = (runtime: Runtime): MatrixSettingDef[] =>
  MATRIX_SETTINGS.filter((s: MatrixSettingDef) => !s.runtimes || s.runtimes.includes(runtime));

// ---- what the API and the WebSocket carry ----
/** A run of a matrix; `setting` is a string, not the enum, so runs stored under a since-renamed setting still load. */
export const MatrixRun = z.object({ setting: z.string(), runId: RunId, status: RunStatus });
export type MatrixRun = z.infer<typeof MatrixRun>;

export const MatrixSkip = z.object({ setting: z.string(), reason: z.string() });
export type MatrixSkip = z.infer<typeof MatrixSkip>;

/** A matrix without its table: what lists and the hello carry. */
export const MatrixInfo = z.object({
  id: RunId,
  experiment: z.string(),
  runtime: Runtime,
  params: Params,
  settleMs: z.number().int().positive().optional(),
  createdAt: Time,
  runs: z.array(MatrixRun),
  /** The settings this machine cannot run (no jemalloc, no malloc_trim), and why. */
  skipped: z.array(MatrixSkip),
});
export type MatrixInfo = z.infer<typeof MatrixInfo>;

/** One setting's line of the table (bytes, ms); figures only once its run finished. */
export const MatrixRow = z.object({
  setting: z.string(),
  runId: RunId,
  status: RunStatus,
  baseline: z.number().optional(),
  peak: z.number().optional(),
  afterCollect: z.number().optional(),
  afterSettle: z.number().optional(),
  /** After settle minus baseline: what the setting did not give back. */
  kept: z.number().optional(),
  verdict: Verdict.optional(),
  allocateMs: z.number().nonnegative().optional(),
  error: z.string().optional(),
  /** The setting that returns the most: the finished run that kept the least. */
  best: z.boolean(),
});
export type MatrixRow = z.infer<typeof MatrixRow>;

export const Matrix = MatrixInfo.extend({ rows: z.array(MatrixRow) });
export type Matrix = z.infer<typeof Matrix>;

export interface MatrixEntry {
  setting: string;
  run: RunInfo;
  /** How long allocate took (ms), once it ended. */
  allocateMs?: number;
}

/**
 * The table: each setting's peak, RSS after collect and after settle, verdict and allocate time.
 * The best is the finished run that ends closest to its own baseline (smallest kept); the first
 * such in the table's order on a tie. None is marked until one has finished.
 */
export function matrixRows(entries: readonly MatrixEntry[]): MatrixRow[] {
  const rows = entries.map(({ setting, run, allocateMs }): MatrixRow => {
    const s = run.status === 'finished' ? run.summary : null;
    return {
      setting, runId: run.id, status: run.status, best: false,
      ...(s && { baseline: s.mem0, peak: s.peak, afterCollect: s.mem3, afterSettle: s.mem4, kept: s.mem4 - s.mem0, verdict: s.verdict }),
      ...(allocateMs !== undefined && { allocateMs }),
      ...(run.error !== undefined && { error: run.error }),
    };
  });
  let best: MatrixRow | undefined;
  for (const row of rows) if (row.kept !== undefined && (best === undefined || row.kept < best.kept!)) best = row;
  if (best) best.best = true;
  return rows;
}

/**
 * Below this, a difference between two settings' `kept` is within what one run differs from the
 * next (the verdict's own floor for "released", shared/summary.ts): not a reason to switch allocator.
 */
export const MATRIX_NOISE_BYTES = 4 * 1024 * 1024;

/** One sentence on the best setting, against the default (the first row, glibc), said the same by the CLI and the dashboard. */
export function bestSentence(rows: readonly MatrixRow[]): string {
  const best = rows.find((r) => r.best);
  if (!best) return 'No setting has finished yet.';
  const kept = `${formatSignedMiB(best.kept!)} after settle`;
  const base = rows[0];
  if (best === base || base?.kept === undefined) return `${best.setting} keeps the least: ${kept}.`;
  const gain = base.kept - best.kept!;
  const clear = gain >= MATRIX_NOISE_BYTES
    ? ''
    : ` — within ${formatMiB(MATRIX_NOISE_BYTES, 0)}, about the noise between two runs: no setting clearly gives back more than ${base.setting}`;
  return `${best.setting} keeps the least: ${kept}, ${formatMiB(gain)} less than ${base.setting} (${formatSignedMiB(base.kept)})${clear}.`;
}

/** A matrix's runs in the settings' order, then any setting no longer in MATRIX_SETTINGS. */
export function settingOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const i = (MATRIX_SETTING_NAMES as readonly string[]).indexOf(name);
    return i === -1 ? MATRIX_SETTING_NAMES.length : i;
  };
  return rank(a) - rank(b);
}

// The shapes of user code: what a request may carry, what a run records (the exact code, its hash,
// what it printed, where it failed), and a saved custom experiment with its export file. Checked
// at every boundary: HTTP (run-request.ts, custom-api.ts), the CLI, imported files, stored files.
import { z } from 'zod';
import { knobMisfit, Knobs } from '../knobs.js';
import { SETTLE_MS } from '../limits.js';
import { ALL_PHASES } from '../phases.js';
import { Runtime } from '../runtimes.js';
import { describeZodError } from '../validation.js';
import { CODE_FIELD_MAX_BYTES, CODE_FIELDS, DEFAULT_UNREFERENCE, type CodeField } from './facts.js';

export * from './facts.js';

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

const codeText = (field: CodeField) =>
  z.string({ error: `must be a string of ${field === 'allocate' ? 'code' : 'code (may be empty)'}` }).superRefine((text, ctx) => {
    const bytes = utf8Bytes(text);
    if (bytes > CODE_FIELD_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `must be at most ${CODE_FIELD_MAX_BYTES / 1024} KiB of UTF-8, got ${bytes.toLocaleString('en')} bytes` });
    if (text.includes('\0')) ctx.addIssue({ code: 'custom', message: 'must not contain a NUL character' });
  });

/** The code a request or a saved experiment carries: setup and unreference may be left out. */
export const CustomCode = z.strictObject({
  setup: codeText('setup').optional(),
  allocate: codeText('allocate').refine((text) => text.trim() !== '', 'must not be empty: allocate is the code whose memory is measured'),
  unreference: codeText('unreference').optional(),
}, { error: (issue) => (issue.input === undefined ? 'required: { allocate, setup?, unreference? }' : 'must be an object { allocate, setup?, unreference? }') });
export type CustomCode = z.infer<typeof CustomCode>;

/** The code exactly as it ran: every field filled (unreference's default written out). */
export const RunCode = z.strictObject({ setup: z.string(), allocate: z.string(), unreference: z.string() });
export type RunCode = z.infer<typeof RunCode>;

/** Fills the defaults: an empty setup, and `del foo` / `foo = null;` for an empty unreference. */
export function runCodeOf(code: CustomCode, runtime: Runtime): RunCode {
  const unreference = code.unreference?.trim() ? code.unreference : DEFAULT_UNREFERENCE[runtime];
  return { setup: code.setup ?? '', allocate: code.allocate, unreference };
}

/** Where the user's code failed: the field holding the line (a helper from setup may fail in allocate). */
export const CodeError = z.object({
  /** The phase that was running ('setup' for the setup field, before baseline). */
  phase: z.enum(['setup', ...ALL_PHASES]),
  field: z.enum(CODE_FIELDS),
  /** 1-based, relative to the field as the user typed it; absent when the runtime gave no position. */
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  /** "SyntaxError", "NameError", "TypeError"… */
  type: z.string().max(200),
  message: z.string().max(4000),
});
export type CodeError = z.infer<typeof CodeError>;

/** The run's reason in words: "your code failed in phase allocate, line 3, column 7: SyntaxError: invalid syntax". */
export function codeErrorReason(e: CodeError): string {
  const where = e.phase === 'setup' ? 'in setup' : `in phase ${e.phase}`;
  const at = e.line === undefined ? '' : `, ${e.field === e.phase ? '' : `${e.field} `}line ${e.line}${e.column === undefined ? '' : `, column ${e.column}`}`;
  return `your code failed ${where}${at}: ${e.type}: ${e.message}`;
}

/** What the code printed on stdout and stderr, in the order it arrived, kept up to OUTPUT_MAX_BYTES. */
export const RunOutput = z.object({
  text: z.string(),
  /** Bytes printed in all: more than text holds when truncated. */
  bytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
});
export type RunOutput = z.infer<typeof RunOutput>;

// ---- saved custom experiments ----
export const SavedId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be an id (a-z, 0-9, -)');

/** What POST and PUT /api/experiments/custom take, and what an export file holds. */
export const SavedExperimentBody = z.strictObject({
  name: z.string({ error: 'required: a name of 1 to 80 characters' }).trim().min(1, 'must not be empty').max(80, 'must be at most 80 characters'),
  runtime: Runtime,
  code: CustomCode,
  knobs: Knobs.optional(),
  settleMs: z.number().int().min(SETTLE_MS.min).max(SETTLE_MS.max).optional(),
  notes: z.string().max(4000, 'must be at most 4000 characters').optional(),
});
export type SavedExperimentBody = z.infer<typeof SavedExperimentBody>;

export const SavedExperiment = SavedExperimentBody.extend({
  id: SavedId,
  createdAt: z.number().nonnegative(),
  updatedAt: z.number().nonnegative(),
});
export type SavedExperiment = z.infer<typeof SavedExperiment>;

/** A saved experiment as exported to a file: the body with a format tag, so any JSON is not taken for one. */
export const EXPORT_FORMAT = 'memtide-custom-experiment/1';
export const SavedExperimentFile = SavedExperimentBody.extend({ format: z.literal(EXPORT_FORMAT, { error: `must be "${EXPORT_FORMAT}"` }) });
export type SavedExperimentFile = z.infer<typeof SavedExperimentFile>;

export const toExportFile = (e: SavedExperimentBody): SavedExperimentFile => ({
  format: EXPORT_FORMAT, name: e.name, runtime: e.runtime, code: e.code,
  ...(e.knobs && { knobs: e.knobs }), ...(e.settleMs !== undefined && { settleMs: e.settleMs }), ...(e.notes && { notes: e.notes }),
});

export type SavedParse = { ok: true; body: SavedExperimentBody } | { ok: false; error: string };

/** A body to save (POST/PUT), or an export file (`file`: its format tag required), checked down to its knobs; errors name the field. */
export function parseSavedExperiment(json: unknown, file = false): SavedParse {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: 'body: must be a JSON object like {"name", "runtime", "code": {"allocate"}}' };
  const parsed = (file ? SavedExperimentFile : SavedExperimentBody).safeParse(json);
  if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
  const { format: _format, ...body } = parsed.data as SavedExperimentFile;
  const misfit = body.knobs && knobMisfit(body.knobs, body.runtime);
  return misfit ? { ok: false, error: misfit } : { ok: true, body };
}

/** An export file's text, checked as parseSavedExperiment checks it. */
export function parseSavedExperimentText(text: string): SavedParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  return parseSavedExperiment(json, true);
}

/** Whether user code may run here, and why not (GET /api/experiments/custom tells the card). */
export const CodePolicy = z.object({ allowed: z.boolean(), reason: z.string().optional() });
export type CodePolicy = z.infer<typeof CodePolicy>;

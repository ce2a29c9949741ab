// Facts about user code that the workers need too. Kept free of imports so a worker can load it
// without zod (~14 MiB of baseline RSS); server/workers/python-worker.py repeats CODE_FD and the
// field names, and shared/worker-agreement.test.ts checks the two agree.
import type { Runtime } from '../runtimes.js';

/** The experiment id of a run of the user's own code. */
export const CUSTOM_EXPERIMENT = 'custom';

/** The three fields the card has, in the order they run: setup before baseline, then the phases. */
export const CODE_FIELDS = ['setup', 'allocate', 'unreference'] as const;
export type CodeField = (typeof CODE_FIELDS)[number];

/** Each field's limit, in UTF-8 bytes. */
export const CODE_FIELD_MAX_BYTES = 64 * 1024;

/** What the code prints (stdout and stderr together) is kept up to this many bytes. */
export const OUTPUT_MAX_BYTES = 64 * 1024;

/**
 * The worker reads the code (JSON) from this descriptor, not from its command line: one argument
 * may hold at most 128 KiB on Linux (MAX_ARG_STRLEN), and three 64 KiB fields, escaped, do not fit.
 */
export const CODE_FD = 4;

/** The name the card asks allocate to leave its data in, so unreference can drop it. */
export const CUSTOM_NAME = 'foo';

/** Unreference, when the user leaves it empty. */
export const DEFAULT_UNREFERENCE: Record<Runtime, string> = { python: `del ${CUSTOM_NAME}`, node: `${CUSTOM_NAME} = null;` };

/** The file name a field is compiled under, so tracebacks and stacks name the field: "<allocate>". */
export const codeFileName = (field: CodeField): string => `<${field}>`;

/** The runtime a file's extension implies (the CLI's --code without --runtime). */
export function runtimeOfFileName(name: string): Runtime | undefined {
  if (/\.py$/i.test(name)) return 'python';
  if (/\.(m|c)?js$/i.test(name)) return 'node';
  return undefined;
}

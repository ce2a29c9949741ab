// `memtide run --code alloc.py [--setup setup.py] [--unref 'del foo'] [--runtime python|node]`:
// the user's own code from files, as the body POST /api/runs would get (run-request.ts checks it
// the same way). The runtime comes from the file's extension unless --runtime says.
import { readFileSync } from 'node:fs';
import { CUSTOM_EXPERIMENT, runtimeOfFileName } from '../shared/custom/facts.js';
import { RUNTIMES, type Runtime } from '../shared/runtimes.js';
import { quote } from '../shared/validation.js';
import { allowCodeFromEnv } from './code-policy.js';

export interface CodeFlags {
  code?: string;
  setup?: string;
  unref?: string;
  runtime?: string;
}

export type CustomBody = { experiment: typeof CUSTOM_EXPERIMENT; runtime: Runtime; code: { allocate: string; setup?: string; unreference?: string } };

function readCodeFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${flag} ${quote(path)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The custom run the flags ask for, undefined when there is no --code; throws with "flag: what is wrong". */
export function customRunFromFlags(flags: CodeFlags, env: NodeJS.ProcessEnv = process.env): CustomBody | undefined {
  if (flags.code === undefined) {
    const stray = (['setup', 'unref', 'runtime'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new Error(`--${stray}: only with --code`);
    return undefined;
  }
  const allowed = allowCodeFromEnv(env.MEMTIDE_ALLOW_CODE);
  if (allowed !== true) throw new Error(allowed === false ? 'MEMTIDE_ALLOW_CODE=0: user code is turned off' : allowed);
  if (flags.runtime !== undefined && !(RUNTIMES as readonly string[]).includes(flags.runtime)) {
    throw new Error(`--runtime ${quote(flags.runtime)}: must be ${RUNTIMES.join(' or ')}`);
  }
  const runtime = (flags.runtime as Runtime | undefined) ?? runtimeOfFileName(flags.code);
  if (!runtime) throw new Error(`--code ${quote(flags.code)}: say --runtime python or node (the extension is not .py or .js)`);
  return {
    experiment: CUSTOM_EXPERIMENT,
    runtime,
    code: {
      allocate: readCodeFile('--code', flags.code),
      ...(flags.setup !== undefined && { setup: readCodeFile('--setup', flags.setup) }),
      ...(flags.unref !== undefined && { unreference: flags.unref }),
    },
  };
}

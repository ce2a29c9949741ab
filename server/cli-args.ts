// The CLI's flags, checked at the boundary and answered in memtide's own words: every command's
// flags, their values (bounds from shared/limits.ts), and the usage. What a run asks for is then
// checked once more, like any request, by run-request.ts parseRunRequest.
import { parseArgs } from 'node:util';
import { EXPECT_WORDS, isExpectWord, type Gates } from '../shared/gate.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, SETTLE_MS } from '../shared/limits.js';
import type { Params } from '../shared/run-record.js';
import { quote } from '../shared/validation.js';
import { customRunFromFlags, type CustomBody } from './cli-code.js';
import { REPORT_USAGE } from './report.js';

export const USAGE = `usage:
  memtide run <experiment> [--param k=v ...] [--runtime-knob k=v ...] [--hz N] [--settle MS] [--json]
                           [--expect ${Object.keys(EXPECT_WORDS).join('|')}] [--max-final-mib N]
  memtide run --code alloc.py [--setup setup.py] [--unref 'del foo'] [--runtime python|node] [the run flags above]
  memtide matrix <experiment> [--param k=v ...] [--hz N] [--settle MS] [--json]
  memtide list [--json]
  memtide ps [word ...] [--json]
  memtide watch <pid> [--hz N] [--duration S] [--gc] [--trim] [--json]
  memtide serve            (the same as npm start)
  ${REPORT_USAGE}
  memtide --help

exit codes: 0 ok, 1 the run failed, 2 bad usage, 3 a gate (--expect, --max-final-mib) failed, 4 the run ended but could not be stored (the message says why)`;

/** A mistake in how memtide was called: said with the usage, exit 2. */
export class UsageError extends Error {}

type FlagKind = 'string' | 'multiple' | 'boolean';
type FlagSpec = Record<string, FlagKind>;

const COMMON: FlagSpec = { help: 'boolean' };
const RUN_LIKE: FlagSpec = { ...COMMON, param: 'multiple', hz: 'string', settle: 'string', json: 'boolean' };
export const COMMAND_FLAGS = {
  run: { ...RUN_LIKE, 'runtime-knob': 'multiple', expect: 'string', 'max-final-mib': 'string', code: 'string', setup: 'string', unref: 'string', runtime: 'string' },
  matrix: RUN_LIKE,
  list: { ...COMMON, json: 'boolean' },
  serve: COMMON,
  report: { ...COMMON, out: 'string' },
  ps: { ...COMMON, json: 'boolean' },
  watch: { ...COMMON, hz: 'string', duration: 'string', gc: 'boolean', trim: 'boolean', json: 'boolean' },
} as const satisfies Record<string, FlagSpec>;
/** One-letter forms: `report -o out.html`. */
const SHORT: Partial<Record<Command, Record<string, string>>> = { report: { out: 'o' } };
export type Command = keyof typeof COMMAND_FLAGS;

export interface ParsedFlags {
  positionals: string[];
  strings: Record<string, string | undefined>;
  lists: Record<string, string[]>;
  booleans: Record<string, boolean>;
}

/**
 * node:util parseArgs in its lenient mode, so that every mistake (an unknown flag, a missing value,
 * a value given to a switch) is said here, naming the flag and what it takes, not in node's words.
 */
export function parseFlags(command: Command, args: readonly string[]): ParsedFlags {
  const spec: FlagSpec = COMMAND_FLAGS[command];
  const known = Object.keys(spec).map((f) => (SHORT[command]?.[f] ? `-${SHORT[command][f]}/--${f}` : `--${f}`)).join(', ');
  const options = Object.fromEntries(Object.entries(spec).map(([name, kind]) => {
    const short = SHORT[command]?.[name];
    return [name, { type: kind === 'boolean' ? 'boolean' as const : 'string' as const, ...(short && { short }) }];
  }));
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const out: ParsedFlags = { positionals: [], strings: {}, lists: {}, booleans: {} };
  for (const token of tokens) {
    if (token.kind === 'positional') out.positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const kind = spec[token.name];
    if (!kind) throw new UsageError(`${command}: unknown flag ${quote(token.rawName)} (${command} takes ${known})`);
    if (kind === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got ${quote(token.value)}`);
      out.booleans[token.name] = true;
      continue;
    }
    // "--hz --json" would otherwise read "--json" as the rate: a value never starts with "--".
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('--'))) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
    if (kind === 'multiple') (out.lists[token.name] ??= []).push(token.value);
    else out.strings[token.name] = token.value;
  }
  return out;
}

/** "k=v" pairs into an object; values must be numbers unless `allowText`. */
export function parsePairs(flag: string, pairs: readonly string[], allowText = false): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${quote(pair)}: expected key=value`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    const number = text.trim() === '' ? Number.NaN : Number(text);
    if (Number.isFinite(number)) out[key] = number;
    else if (allowText && (text === 'true' || text === 'false')) out[key] = text === 'true';
    else if (allowText && text !== '') out[key] = text;
    else throw new UsageError(`${flag} ${quote(pair)}: value must be a number`);
  }
  return out;
}

function integerFlag(flag: string, text: string | undefined, min: number, max: number, unit = ''): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} ${quote(text)}: must be an integer from ${min} to ${max}${unit}`);
  }
  return value;
}

/** What POST /api/runs would get, from the flags run and matrix share: checked the same way. */
export interface RunBody extends Partial<Omit<CustomBody, 'experiment'>> {
  experiment: string;
  params: Params;
  knobs?: Record<string, unknown>;
  sampleHz?: number;
  settleMs?: number;
}

/** `run --code`: the user's code from files (cli-code.ts); undefined without --code. */
function customRun(flags: ParsedFlags): CustomBody | undefined {
  if (flags.strings.code !== undefined && flags.positionals.length > 0) throw new UsageError(`run --code takes no experiment id, got ${quote(flags.positionals[0])}`);
  try {
    return customRunFromFlags({ code: flags.strings.code, setup: flags.strings.setup, unref: flags.strings.unref, runtime: flags.strings.runtime });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function runBody(command: 'run' | 'matrix', flags: ParsedFlags, custom?: CustomBody): RunBody {
  if (!custom && flags.positionals.length !== 1) throw new UsageError(`${command} takes one experiment id, got ${flags.positionals.length}`);
  const sampleHz = integerFlag('--hz', flags.strings.hz, SAMPLE_HZ_MIN, SAMPLE_HZ_MAX);
  const settleMs = integerFlag('--settle', flags.strings.settle, SETTLE_MS.min, SETTLE_MS.max, ' (ms)');
  return {
    ...(custom ?? { experiment: flags.positionals[0]! }),
    params: parsePairs('--param', flags.lists.param ?? []) as Params,
    ...(sampleHz !== undefined && { sampleHz }),
    ...(settleMs !== undefined && { settleMs }),
  };
}

export interface RunCommand {
  body: RunBody;
  json: boolean;
  gates: Gates;
}

export function parseGates(flags: ParsedFlags): Gates {
  const gates: Gates = {};
  const expect = flags.strings.expect;
  if (expect !== undefined) {
    if (!isExpectWord(expect)) throw new UsageError(`--expect ${quote(expect)}: must be one of ${Object.keys(EXPECT_WORDS).join(', ')}`);
    gates.expect = expect;
  }
  const max = flags.strings['max-final-mib'];
  if (max !== undefined) {
    const value = Number(max);
    if (max.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`--max-final-mib ${quote(max)}: must be a number of MiB, 0 or more`);
    gates.maxFinalMiB = value;
  }
  return gates;
}

export function parseRunCommand(args: readonly string[]): RunCommand {
  const flags = parseFlags('run', args);
  const body = runBody('run', flags, customRun(flags));
  const knobs = parsePairs('--runtime-knob', flags.lists['runtime-knob'] ?? [], true);
  return {
    body: { ...body, ...(Object.keys(knobs).length ? { knobs } : {}) },
    json: flags.booleans.json === true,
    gates: parseGates(flags),
  };
}

export interface MatrixCommand {
  body: Omit<RunBody, 'knobs'>;
  json: boolean;
}

export function parseMatrixCommand(args: readonly string[]): MatrixCommand {
  const flags = parseFlags('matrix', args);
  return { body: runBody('matrix', flags), json: flags.booleans.json === true };
}

// `memtide`: run one experiment headless (same worker and sampler, no server) and gate CI on it,
// run it under every allocator setting (matrix), list the catalog, write a report, or serve the dashboard.
// Flags are checked in cli-args.ts, texts made in cli-output.ts, runs driven by cli-runner.ts.
import { checkGates } from '../shared/gate.js';
import { quote } from '../shared/validation.js';
import { COMMAND_FLAGS, parseFlags, parseMatrixCommand, parseRunCommand, USAGE, UsageError, type MatrixCommand, type RunCommand } from './cli-args.js';
import { catalogText, codeOutputText, formatSummary, matrixText, paramsText, writeAll } from './cli-output.js';
import { cliSettings, headless, type CliSettings } from './cli-runner.js';
import { availableCatalog, machine } from './machine.js';
import { MatrixBook } from './matrix-book.js';
import { parseMatrixRequest } from './matrix-request.js';
import { reportCommand } from './report.js';
import { parseRunRequest } from './run-request.js';
import { StoreError } from './storage/store-errors.js';
import { parseWatchCommand, ps, watch } from './cli-watch.js';

/** Exit codes: what CI reads. notStored: the run ended but is not in the database (a full disk): its record is lost when this process exits. */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, gateFailed: 3, notStored: 4 } as const;

const out = (text: string) => writeAll(process.stdout, `${text}\n`);
const err = (text: string) => writeAll(process.stderr, `${text}\n`);

/** The settings, or a usage error naming the bad environment variable. */
function settings(): CliSettings {
  const found = cliSettings();
  if (typeof found === 'string') throw new UsageError(found);
  return found;
}

async function run(command: RunCommand): Promise<number> {
  const { dataDir, defaults, workerNice } = settings();
  const request = parseRunRequest(command.body, machine(), defaults);
  if (!request.ok) throw new UsageError(request.error);
  const cli = headless({ json: command.json, workerNice }, dataDir);
  const submitted = cli.registry.submit(request.request);
  if (!submitted.ok) {
    await err(`memtide: ${submitted.error}`);
    return EXIT.runFailed;
  }
  const [record] = await cli.ended([submitted.id]);
  if (command.json) await out(JSON.stringify(record));
  else {
    if (record!.output && record!.output.bytes > 0) await out(codeOutputText(record!.output));
    if (record!.status === 'finished') {
      const what = record!.codeHash ? `${record!.customName ?? 'your code'} (sha256 ${record!.codeHash.slice(0, 12)})` : `${record!.experiment} (${paramsText(record!.params)})`;
      await out(`\n${what} on ${record!.runtime} ${record!.runtimeVersion ?? ''}\n${formatSummary(record!)}`);
    }
  }
  await cli.close();
  if (record!.unsaved) {
    await err(`memtide: run ${record!.id} ${record!.status} but was NOT stored: ${record!.unsaved}.${command.json ? ' The record above is the only copy.' : ' Rerun with --json to keep the record.'}`);
    return EXIT.notStored;
  }
  if (!command.json) await err(`memtide: stored as ${record!.id} in ${cli.file}`);
  if (record!.status !== 'finished' || !record!.summary) {
    await err(`memtide: run ${record!.status}: ${record!.error}`);
    return EXIT.runFailed;
  }
  const gates = checkGates(record!.summary, command.gates);
  for (const gate of gates) await err(`memtide: gate ${gate.ok ? 'passed' : 'FAILED'}: ${gate.text}`);
  return gates.every((g) => g.ok) ? EXIT.ok : EXIT.gateFailed;
}

/** Every allocator setting, one run after another, then the table; exit 1 when any run failed. */
async function matrix(command: MatrixCommand): Promise<number> {
  const { dataDir, defaults, workerNice } = settings();
  const parsed = parseMatrixRequest(command.body, machine(), defaults);
  if (!parsed.ok) throw new UsageError(parsed.error);
  const cli = headless({ json: command.json, workerNice, label: (run) => run.matrixSetting && `\n== ${run.matrixSetting} ==` }, dataDir);
  const { id, skipped } = parsed.request;
  for (const s of skipped) await err(`memtide: skipped ${s.setting}: ${s.reason}`);
  const book = new MatrixBook(cli.registry, machine);
  const submitted = book.submit(parsed.request);
  if (!submitted.ok) {
    await err(`memtide: ${submitted.error}`);
    return EXIT.runFailed;
  }
  const records = await cli.ended(submitted.runs.map((r) => r.id));
  const table = book.get(id)!;
  await cli.close();
  await out(command.json ? JSON.stringify(table) : `\n${matrixText(table)}`);
  const unsaved = records.filter((r) => r.unsaved);
  for (const r of unsaved) await err(`memtide: ${r.matrixSetting}: run ${r.id} was NOT stored: ${r.unsaved}`);
  const stored = unsaved.length === 0 ? `${records.length}` : `${records.length - unsaved.length} of ${records.length}`;
  await err(`memtide: matrix ${id}: ${stored} runs stored in ${dataDir}`);
  const failed = records.filter((r) => r.status !== 'finished');
  for (const r of failed) await err(`memtide: ${r.matrixSetting}: run ${r.status}: ${r.error}`);
  return unsaved.length > 0 ? EXIT.notStored : failed.length === 0 ? EXIT.ok : EXIT.runFailed;
}

async function list(args: readonly string[]): Promise<number> {
  const flags = parseFlags('list', args);
  if (flags.positionals.length > 0) throw new UsageError(`list takes no arguments, got ${quote(flags.positionals[0])}`);
  const catalog = availableCatalog();
  await out(flags.booleans.json ? JSON.stringify(catalog) : catalogText(catalog));
  return EXIT.ok;
}

async function report(args: string[]): Promise<number> {
  parseFlags('report', args); // flags said in memtide's words; report.ts reads them
  const result = reportCommand(args, settings().dataDir);
  if (!result.ok && result.usage) throw new UsageError(result.error);
  if (!result.ok) return (await err(`memtide: ${result.error}`), EXIT.runFailed);
  await err(`memtide: wrote ${result.out} (${(result.bytes / 1024).toFixed(0)} KiB)`);
  return EXIT.ok;
}

const isCommand = (word: string | undefined): boolean => word !== undefined && Object.hasOwn(COMMAND_FLAGS, word);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h' || command === 'help' || (isCommand(command) && rest.includes('--help'))) {
      await out(USAGE);
      return EXIT.ok;
    }
    if (command === 'run') return await run(parseRunCommand(rest));
    if (command === 'matrix') return await matrix(parseMatrixCommand(rest));
    if (command === 'list') return await list(rest);
    if (command === 'report') return await report(rest);
    if (command === 'ps') return await ps(rest);
    if (command === 'watch') return await watch(parseWatchCommand(rest));
    if (command === 'serve') {
      parseFlags('serve', rest);
      return (await import('./main.js'), -1);
    }
    throw new UsageError(command ? `unknown command ${quote(command)}` : 'no command given');
  } catch (error) {
    if (error instanceof UsageError) {
      await err(`memtide: ${error.message}\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof StoreError) {
      // The database could not be opened (nothing was run): say what is wrong with it, no stack.
      await err(`memtide: ${error.message}`);
      return EXIT.runFailed;
    }
    throw error;
  }
}

// `memtide`: run one experiment headless (same worker and sampler, no server), list the catalog,
// or serve the dashboard.
import { parseArgs } from 'node:util';
import { CATALOG } from '../shared/catalog/index.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import type { Params, RunRecord } from '../shared/run-record.js';
import { summaryRows } from '../shared/summary.js';
import { formatAsciiSignedMiB, formatMiB, formatSeconds, formatSeedPct } from '../shared/format.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, SETTLE_MS } from '../shared/limits.js';
import { now } from '../shared/units.js';
import { quote } from '../shared/validation.js';
import { configFromEnv } from './config.js';
import { exitOnSignals } from './exit-signals.js';
import { machine } from './machine.js';
import type { RunEvents } from './run-events.js';
import { RunRegistry } from './run-registry.js';
import { parseRunRequest } from './run-request.js';
import { sampleCount } from './sampling/packed-samples.js';
import { RunStore } from './storage/run-store.js';
import { REPORT_USAGE, reportCommand } from './report.js';
import { parseWatchCommand, ps, watch, WATCH_USAGE, WatchUsageError } from './cli-watch.js';

const USAGE = `usage:
  memtide run <experiment> [--param k=v ...] [--runtime-knob k=v ...] [--hz N] [--settle MS] [--json]
  memtide list
${WATCH_USAGE}
  memtide serve            (the same as npm start)
  ${REPORT_USAGE}`;

class UsageError extends Error {}

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

export interface RunCommand {
  /** What POST /api/runs would get: checked the same way (run-request.ts). */
  body: { experiment: string; params: Params; knobs?: Record<string, unknown>; sampleHz?: number; settleMs?: number };
  json: boolean;
}

export function parseRunCommand(args: string[]): RunCommand {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      param: { type: 'string', multiple: true, default: [] },
      'runtime-knob': { type: 'string', multiple: true, default: [] },
      hz: { type: 'string' },
      settle: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`run takes one experiment id, got ${positionals.length}`);
  const knobs = parsePairs('--runtime-knob', values['runtime-knob'], true);
  let sampleHz: number | undefined;
  if (values.hz !== undefined) {
    sampleHz = Number(values.hz);
    if (!Number.isInteger(sampleHz) || sampleHz < SAMPLE_HZ_MIN || sampleHz > SAMPLE_HZ_MAX) {
      throw new UsageError(`--hz ${quote(values.hz)}: must be an integer from ${SAMPLE_HZ_MIN} to ${SAMPLE_HZ_MAX}`);
    }
  }
  const settleMs = values.settle === undefined ? undefined : Number(values.settle);
  if (settleMs !== undefined && (!Number.isInteger(settleMs) || settleMs < SETTLE_MS.min || settleMs > SETTLE_MS.max)) {
    throw new UsageError(`--settle ${quote(values.settle)}: must be an integer from ${SETTLE_MS.min} to ${SETTLE_MS.max} (ms)`);
  }
  return {
    body: {
      experiment: positionals[0]!,
      params: parsePairs('--param', values.param) as Params,
      ...(Object.keys(knobs).length ? { knobs } : {}),
      ...(sampleHz !== undefined && { sampleHz }),
      ...(settleMs !== undefined && { settleMs }),
    },
    json: values.json,
  };
}


/** The seed's lines ("Allocation: 3034.36%"), MiB beside them, and the verdict. */
export function formatSummary(record: RunRecord): string {
  const s = record.summary!;
  return [
    ...summaryRows(s).map((r) => `${r.label}: ${formatSeedPct(r.pct)}  (${formatAsciiSignedMiB(r.bytes)})`),
    `Baseline RSS ${formatMiB(s.mem0)}, peak ${formatMiB(s.peak)}`,
    `Verdict: ${s.verdictText}`,
  ].join('\n');
}

async function run(command: RunCommand): Promise<number> {
  const tty = process.stderr.isTTY && !command.json;
  let latestRss = 0;
  let phase = 'starting';
  let started = 0;
  const progress = () => {
    if (tty) process.stderr.write(`\r\x1b[K${phase.padEnd(12)} ${formatSeconds(now() - started)}   RSS ${formatMiB(latestRss)}`);
  };
  let resolveEnd: (id: string) => void = () => undefined;
  const ended = new Promise<string>((resolve) => (resolveEnd = resolve));
  // The terminal's side of run-events.ts: phases as they happen, a progress line on a TTY.
  const events: RunEvents = {
    send(m: ServerMessage) {
      if (m.type === 'run-started') started = m.run.createdAt;
      if (m.type === 'phase') {
        phase = m.edge === 'start' ? m.phase : `${m.phase} done`;
        if (!tty && !command.json) console.log(`${m.phase.padEnd(12)} ${m.edge.padEnd(6)} +${((m.t - started) / 1000).toFixed(3)} s`);
      }
      if (m.type === 'run-finished' || m.type === 'run-failed') resolveEnd(m.runId);
      progress();
    },
    samples(_runId, packed) {
      if (sampleCount(packed) > 0) latestRss = packed.at(-1)!;
      progress();
    },
    watching: () => false, // a progress line needs no 10 ms batches

  };
  // The same settings as the server (MEMTIDE_DATA, MEMTIDE_MEMORY_CAP_MIB…): a CLI run is stored
  // with the others, so `memtide serve` shows it in the history.
  const config = configFromEnv(process.env);
  if (!config.ok) throw new UsageError(config.error);
  const { dataDir, memoryCapMiB, wallClockCapS, sampleHz } = config.options;
  const request = parseRunRequest(command.body, machine(), { memoryCapMiB, wallClockCapS, sampleHz });
  if (!request.ok) throw new UsageError(request.error);
  const registry = new RunRegistry({ events, store: new RunStore(dataDir!) });
  const submitted = registry.submit(request.request);
  if (!submitted.ok) {
    console.error(`memtide: ${submitted.error}`);
    return 1;
  }
  // Ctrl+C stores the run as cancelled and exits 130; any other way out still kills the worker.
  exitOnSignals(registry, 130);
  const record = registry.get(await ended)!;
  if (tty) process.stderr.write('\r\x1b[K');
  if (command.json) console.log(JSON.stringify(record));
  else if (record.status === 'finished') {
    const params = Object.entries(record.params).map(([k, v]) => `${k}=${v}`).join(', ');
    console.log(`\n${record.experiment} (${params}) on ${record.runtime} ${record.runtimeVersion ?? ''}\n${formatSummary(record)}`);
  }
  if (!command.json) console.error(`memtide: stored as ${record.id} in ${dataDir}`);
  if (record.status === 'finished') return 0;
  console.error(`memtide: run ${record.status}: ${record.error}`);
  return 1;
}

function list(): void {
  for (const e of CATALOG) {
    console.log(`${e.id.padEnd(20)} ${e.runtime.padEnd(7)} ${e.title}`);
    for (const p of e.params) console.log(`${''.padEnd(29)}--param ${p.name}=${p.default}  (${p.min}…${p.max}) ${p.label}`);
  }
}

function report(args: string[]): number {
  const config = configFromEnv(process.env);
  if (!config.ok) throw new UsageError(config.error);
  const result = reportCommand(args, config.options.dataDir!);
  if (!result.ok && result.usage) throw new UsageError(result.error);
  if (!result.ok) return (console.error(`memtide: ${result.error}`), 1);
  console.error(`memtide: wrote ${result.out} (${(result.bytes / 1024).toFixed(0)} KiB)`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'run') return await run(parseRunCommand(rest));
    if (command === 'list') return (list(), 0);
    if (command === 'ps') return await ps(rest);
    if (command === 'watch') return await watch(parseWatchCommand(rest));
    if (command === 'serve') return (await import('./main.js'), -1);
    if (command === 'report') return report(rest);
    throw new UsageError(command ? `unknown command ${quote(command)}` : 'no command given');
  } catch (error) {
    if (error instanceof UsageError || error instanceof WatchUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`memtide: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

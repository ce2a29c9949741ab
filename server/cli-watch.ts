// `memtide ps` and `memtide watch <pid>`: the process picker and a watch, headless (the same
// WatchRegistry as the server, no HTTP). A watch's record is stored with the runs, so `memtide
// serve` lists it. Lines typed on stdin while it goes become markers.
import { createInterface } from 'node:readline';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, WATCH_LIMITS } from '../shared/limits.js';
import { matchesProcess } from '../shared/process-filter.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { formatMiB } from '../shared/format.js';
import { now } from '../shared/units.js';
import type { ProbeKind } from '../shared/watch-record.js';
import type { RunRecord } from '../shared/run-record.js';
import { parseFlags, UsageError } from './cli-args.js';
import { configFromEnv } from './config.js';
import { DEFAULT_SAMPLE_HZ } from './run-request.js';
import type { PackedSamples } from './sampling/packed-samples.js';
import { openRunStore } from './storage/legacy-import.js';
import { describeTarget, formatProcessTable, formatWatchReport } from './watch/watch-report.js';
import { probeNotice } from '../shared/probe-notice.js';
import { processListAnswer, WatchRegistry } from './watch/watch-registry.js';


/** A watch with probes and no --duration ends this long after its last probe (re-faults show). */
const AFTER_PROBES_MS = 3000;
/** Probes wait this long after the start, so the timeline has a before. */
const BEFORE_PROBES_MS = 1000;

export interface WatchCommand {
  pid: number;
  sampleHz?: number;
  durationS?: number;
  probes: ProbeKind[];
  json: boolean;
}

export function parseWatchCommand(args: string[]): WatchCommand {
  const { positionals, strings, booleans } = parseFlags('watch', args);
  const values = { hz: strings.hz, duration: strings.duration, gc: booleans.gc === true, trim: booleans.trim === true, json: booleans.json === true };
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0]!)) throw new UsageError(`watch takes one pid, got ${positionals.length ? positionals.join(' ') : 'none'}`);
  const number = (flag: string, text: string | undefined, min: number, max: number, integer: boolean) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) throw new UsageError(`--${flag} ${text}: must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
    return n;
  };
  return {
    pid: Number(positionals[0]),
    sampleHz: number('hz', values.hz, SAMPLE_HZ_MIN, SAMPLE_HZ_MAX, true),
    durationS: number('duration', values.duration, 1, WATCH_LIMITS.maxDurationS, false),
    probes: [...(values.gc ? ['gc' as const] : []), ...(values.trim ? ['trim' as const] : [])],
    json: values.json,
  };
}

export async function ps(args: string[]): Promise<number> {
  const { positionals, booleans } = parseFlags('ps', args);
  const values = { json: booleans.json === true };
  const answer = await processListAnswer({ allowed: true });
  const query = positionals.join(' ');
  const processes = answer.processes.filter((p) => matchesProcess(p, query));
  if (values.json) console.log(JSON.stringify({ ...answer, processes }));
  else console.log(`${formatProcessTable(processes)}\n(${answer.scope}${answer.gdbProbes.allowed ? '' : `; gdb probes off: ${answer.gdbProbes.reason}`})`);
  return 0;
}

export async function watch(command: WatchCommand): Promise<number> {
  const config = configFromEnv(process.env);
  if (!config.ok) throw new UsageError(config.error);
  const store = openRunStore(config.options.dataDir!, (line) => console.error(line));
  /** Why the ended watch could not be stored (a full disk): then the record printed is the only copy. */
  let notStored: string | undefined;
  let endedRecord: RunRecord | undefined;
  const tty = process.stderr.isTTY && !command.json;
  let status = '';
  const say = (line: string) => {
    if (tty) process.stderr.write('\r\x1b[K');
    console.error(line);
    if (tty) process.stderr.write(status);
  };
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const breakdown: Record<string, number> = {};
  /** The status line: the latest RSS reading (the last pair of a packed batch) and breakdown. */
  const samples = (_id: string, packed: PackedSamples) => {
    if (!tty || packed.length === 0) return;
    const parts = Object.entries(breakdown).map(([k, v]) => `${k} ${formatMiB(v)}`).join('  ');
    status = `RSS ${formatMiB(packed[packed.length - 1]!)}${parts ? `  (${parts})` : ''}   type a label + Enter for a marker, Ctrl+C to stop`;
    process.stderr.write(`\r\x1b[K${status}`);
  };
  const send = (m: ServerMessage) => {
    if (m.type === 'watch-breakdown') Object.assign(breakdown, { brk: m.breakdown.brkHeap, anon: m.breakdown.anonMappings + m.breakdown.arenaHeaps, files: m.breakdown.fileMappings });
    if (m.type === 'watch-marker' && !command.json) say(`marker: ${m.marker.label}`);
    if (m.type === 'watch-probe' && m.probe.status !== 'running' && !command.json) say(`${m.probe.kind}: ${m.probe.status}${m.probe.returned !== undefined ? `, returned ${formatMiB(m.probe.returned)}` : ''}${m.probe.result ? ` — ${m.probe.result}` : ''}${m.probe.error ? ` (${m.probe.error})` : ''}`);
    if (m.type === 'watch-ended') resolveEnd();
  };
  const registry = new WatchRegistry({
    events: { send, samples, watching: () => tty },
    storeEnded: (record) => {
      endedRecord = record;
      try {
        store.save(record);
      } catch (error) {
        notStored = (error as Error).message;
        throw error;
      }
    },
    findEnded: (id) => store.load(id),
    sampleHz: command.sampleHz ?? config.options.sampleHz ?? DEFAULT_SAMPLE_HZ,
    probePolicy: { allowed: true }, // the CLI is local: the flags are the explicit ask
  });
  // With probes the CLI ends the watch itself: never before the probes (and their 1 s re-read) are done.
  const probing = command.probes.length > 0;
  const created = await registry.create({ pid: command.pid, ...(command.sampleHz && { sampleHz: command.sampleHz }), ...(command.durationS && !probing && { durationS: command.durationS }), probes: probing });
  if (!created.ok) {
    console.error(`memtide: ${created.error}`);
    return created.status === 400 ? 2 : 1;
  }
  const record = () => registry.get(created.id)!;
  const target = record().watch!.target;
  if (!command.json) say(`watching ${describeTarget(target)}${command.durationS ? ` for ${command.durationS} s` : ''}`);
  const stop = () => void registry.stop(created.id);
  let signals = 0;
  const onSignal = () => (++signals > 1 ? process.exit(130) : stop());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (label) => label.trim() && registry.addMarker(created.id, { label: label.trim().slice(0, WATCH_LIMITS.markerLabelMax) }));

  let failed = false;
  if (probing) {
    const started = now();
    await new Promise((r) => setTimeout(r, BEFORE_PROBES_MS));
    for (const kind of command.probes) {
      if (!command.json) say(probeNotice(kind, target, WATCH_LIMITS.probeTimeoutMs));
      const answer = await registry.probe(created.id, { kind });
      if (!answer.ok) say(`memtide: ${answer.error}`);
      failed ||= !answer.ok || answer.probe.status !== 'done';
    }
    const left = command.durationS ? command.durationS * 1000 - (now() - started) : AFTER_PROBES_MS;
    setTimeout(stop, Math.max(0, left)).unref();
  }
  await ended;
  lines.close();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
  if (tty) process.stderr.write('\r\x1b[K');
  const final = endedRecord ?? record();
  store.close();
  if (command.json) console.log(JSON.stringify(notStored ? { ...final, unsaved: notStored } : final));
  else console.log(formatWatchReport(final));
  if (notStored) {
    console.error(`memtide: watch ${created.id} was NOT stored: ${notStored}.${command.json ? ' The record above is the only copy.' : ' Rerun with --json to keep the record.'}`);
    return 4;
  }
  console.error(`memtide: stored as ${created.id} in ${store.file} (${((now() - final.createdAt) / 1000).toFixed(1)} s)`);
  return failed ? 1 : 0;
}

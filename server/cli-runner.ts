// Runs headless for the CLI: the same registry, workers and sampler as the server, with the
// terminal as the runs' events (run-events.ts): a header once each worker is ready, phases as they
// happen (a progress line instead on a TTY), nothing on stdout with --json.
import { formatMiB, formatSeconds } from '../shared/format.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import type { RunInfo, RunRecord } from '../shared/run-record.js';
import { now } from '../shared/units.js';
import { runHeader } from './cli-output.js';
import { configFromEnv, type ConfigResult } from './config.js';
import { exitOnSignals } from './exit-signals.js';
import type { RunEvents } from './run-events.js';
import { RunRegistry } from './run-registry.js';
import type { RunDefaults } from './run-request.js';
import { sampleCount } from './sampling/packed-samples.js';
import { RunSlot } from './run-slot.js';
import { openRunStore } from './storage/legacy-import.js';
import { ProcessLock } from './storage/process-locks.js';

export interface HeadlessOptions {
  json: boolean;
  /** Said before a run's header (the matrix names its setting). */
  label?(run: RunInfo): string | undefined;
  /** MEMTIDE_WORKER_NICE (CliSettings). */
  workerNice?: number;
}

export interface Headless {
  registry: RunRegistry;
  /** Resolves with each run's final record as it ends, in the order asked for. */
  ended(ids: readonly string[]): Promise<RunRecord[]>;
  /** The database file the runs are stored in. */
  file: string;
  /** Says which runs could not be stored, and closes the database. */
  close(): Promise<void>;
}

export interface CliSettings {
  dataDir: string;
  defaults: RunDefaults;
  /** MEMTIDE_WORKER_NICE (worker-priority.ts). */
  workerNice?: number;
}

/** The server's settings (MEMTIDE_DATA, MEMTIDE_MEMORY_CAP_MIB…): a CLI run is stored with the others, so `memtide serve` lists it. */
export function cliSettings(config: ConfigResult = configFromEnv(process.env)): CliSettings | string {
  if (!config.ok) return config.error;
  const { dataDir, memoryCapMiB, wallClockCapS, sampleHz, workerNice } = config.options;
  return { dataDir: dataDir!, defaults: { memoryCapMiB, wallClockCapS, sampleHz }, ...(workerNice !== undefined && { workerNice }) };
}

/** A registry for runs already checked: made only then, since it opens the database (importing old JSON runs) and starts the sampler process or thread. */
export function headless(options: HeadlessOptions, dataDir: string): Headless {
  const tty = process.stderr.isTTY && !options.json;
  let latestRss = 0;
  let phase = 'starting';
  let started = 0;
  const progress = () => {
    if (tty) process.stderr.write(`\r\x1b[K${phase.padEnd(12)} ${formatSeconds(now() - started)}   RSS ${formatMiB(latestRss)}`);
  };
  const say = (line: string) => {
    if (options.json) return;
    if (tty) process.stderr.write('\r\x1b[K');
    console.log(line);
  };
  const waiting = new Map<string, (record: RunRecord) => void>();
  const early = new Set<string>();
  const events: RunEvents = {
    send(m: ServerMessage) {
      if (m.type === 'run-started') {
        started = m.run.createdAt;
        phase = 'starting';
        const label = options.label?.(m.run);
        if (label) say(label);
      }
      if (m.type === 'run-updated') say(runHeader(m.run));
      if (m.type === 'phase') {
        phase = m.edge === 'start' ? m.phase : `${m.phase} done`;
        if (!tty) say(`${m.phase.padEnd(12)} ${m.edge.padEnd(6)} +${((m.t - started) / 1000).toFixed(3)} s`);
      }
      if (m.type === 'run-finished' || m.type === 'run-failed') {
        if (tty) process.stderr.write('\r\x1b[K');
        const resolve = waiting.get(m.runId);
        if (resolve) resolve(registry.get(m.runId)!);
        else early.add(m.runId);
        return;
      }
      progress();
    },
    samples(_runId, packed) {
      if (sampleCount(packed) > 0) latestRss = packed.at(-1)!;
      progress();
    },
    watching: () => false, // a progress line needs no 10 ms batches
  };
  const log = (line: string) => console.error(line);
  const store = openRunStore(dataDir, log);
  // Takes turns with a server (or another CLI run) on the same data directory: one run at a time.
  const slot = new RunSlot(new ProcessLock(store, 'run'), () => 'a memtide CLI run', log);
  const registry = new RunRegistry({ events, store, log, slot, workerNice: options.workerNice });
  // Ctrl+C stores the runs as cancelled and exits 130; any other way out still kills the worker.
  exitOnSignals(registry, 130);
  return {
    registry,
    ended: (ids) => Promise.all(ids.map((id) => (early.has(id)
      ? Promise.resolve(registry.get(id)!)
      : new Promise<RunRecord>((resolve) => waiting.set(id, resolve))))),
    file: store.file,
    close: () => registry.closeStore(),
  };
}

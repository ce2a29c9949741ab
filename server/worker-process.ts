// Spawns one worker process and turns its fd-3 report pipe into validated messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { KNOB_ENV_NAMES } from '../shared/knob-env.js';
import { WorkerMessage, describeZodError, type Runtime, type WorkerSpec } from '../shared/schemas.js';
import { nodeWorkerScript, pythonWorkerScript } from './paths.js';

const STDERR_TAIL_BYTES = 4096;
const MAX_LINE_BYTES = 64 * 1024;

export interface WorkerEvents {
  onMessage(message: WorkerMessage): void;
  /** A line that is not a valid message: the run cannot be trusted any more. */
  onProtocolError(reason: string): void;
  onExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): void;
}

export interface WorkerHandle {
  readonly pid: number;
  /** Lets a worker waiting after a phase end go on (one byte on its stdin). */
  ack(): void;
  kill(): void;
}

export interface WorkerLaunch {
  /** The Python interpreter to run (python3 unless MEMTIDE_PYTHON says otherwise). */
  python?: string;
  /** The allocator environment to set; every other such variable of the server's is removed. */
  env?: Record<string, string>;
}

export function workerCommand(runtime: Runtime, spec: WorkerSpec, python = 'python3'): { file: string; args: string[] } {
  const specArg = JSON.stringify(spec);
  if (runtime === 'python') {
    // Not -E or -I: those would make CPython ignore PYTHONMALLOC.
    return { file: python, args: ['-u', pythonWorkerScript, specArg] };
  }
  if (!existsSync(nodeWorkerScript)) throw new Error(`worker not built: ${nodeWorkerScript} (run npm run build)`);
  return { file: process.execPath, args: ['--expose-gc', nodeWorkerScript, specArg] };
}

/** The server's environment without any allocator setting of its own, plus the run's. */
export function workerEnvironment(base: NodeJS.ProcessEnv, env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...base };
  for (const name of KNOB_ENV_NAMES) delete out[name];
  return { ...out, ...env };
}

export function spawnWorker(runtime: Runtime, spec: WorkerSpec, events: WorkerEvents, launch: WorkerLaunch = {}): WorkerHandle {
  const { file, args } = workerCommand(runtime, spec, launch.python);
  const child: ChildProcess = spawn(file, args, {
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    env: workerEnvironment(process.env, launch.env ?? {}),
  });
  child.stdin!.on('error', () => undefined); // EPIPE once the worker has gone: its exit is reported anyway
  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });

  const lines = createInterface({ input: child.stdio[3] as Readable, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.length > MAX_LINE_BYTES) return events.onProtocolError(`worker sent a ${line.length}-byte line`);
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return events.onProtocolError(`worker sent a line that is not JSON: ${line.slice(0, 120)}`);
    }
    const parsed = WorkerMessage.safeParse(json);
    if (!parsed.success) return events.onProtocolError(`worker sent an invalid message: ${describeZodError(parsed.error)}`);
    events.onMessage(parsed.data);
  });

  // 'close' (not 'exit') so every report line has been read before the run is closed.
  child.on('close', (code, signal) => events.onExit(code, signal, stderrTail.trim()));
  child.on('error', (error) => {
    stderrTail += `\n${error.message}`;
  });
  if (child.pid === undefined) throw new Error(`could not start the ${runtime} worker`);
  return {
    pid: child.pid,
    ack: () => {
      if (child.stdin!.writable) child.stdin!.write('.');
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

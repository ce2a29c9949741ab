// Spawns one worker process and turns its fd-3 report pipe into messages checked against the
// worker protocol (worker-protocol.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { RunCode, RunOutput } from '../shared/custom/code.js';
import { CODE_FD } from '../shared/custom/facts.js';
import { KNOB_ENV_NAMES } from '../shared/knob-env.js';
import type { WorkerMessage, WorkerSpec } from '../shared/protocol/worker.js';
import { type Runtime } from '../shared/runtimes.js';
import { createLineSplitter } from './line-splitter.js';
import { captureOutput } from './output-capture.js';
import { nodeWorkerScript, pythonWorkerScript } from './paths.js';
import { MAX_LINE_BYTES, parseWorkerLine } from './worker-protocol.js';
import { DEFAULT_WORKER_NICE, lowerWorkerPriority } from './worker-priority.js';

const STDERR_TAIL_BYTES = 4096;

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
  /** What the worker printed on stdout and stderr (bounded: output-capture.ts). */
  output?(): RunOutput;
}

export interface WorkerCommand {
  file: string;
  args: string[];
  /** The allocator environment to set; every other such variable of the server's is removed. */
  env?: Record<string, string>;
  /** Written to the worker's fd CODE_FD, then closed (a custom run's code, as JSON). */
  input?: string;
  /** Its CPU priority (worker-priority.ts); default DEFAULT_WORKER_NICE, 0: as the server's. */
  nice?: number;
}

export interface WorkerOptions {
  /** The Python interpreter to run (python3 unless MEMTIDE_PYTHON says otherwise). */
  python?: string;
  /** The allocator environment to set (see WorkerCommand.env). */
  env?: Record<string, string>;
  /** Becomes V8's --max-old-space-size where the runtime has one; the RSS watchdog is in run.ts. */
  memoryCapMiB?: number;
  /** A custom run's code: handed over on fd CODE_FD (the spec says so). */
  code?: RunCode;
  /** See WorkerCommand.nice. */
  nice?: number;
}

export function workerCommand(runtime: Runtime, spec: WorkerSpec, options: WorkerOptions = {}): WorkerCommand {
  const specArg = JSON.stringify(spec);
  const extra = { ...(options.code && { input: JSON.stringify(options.code) }), ...(options.nice !== undefined && { nice: options.nice }) };
  if (runtime === 'python') {
    // Not -E or -I: those would make CPython ignore PYTHONMALLOC.
    return { file: options.python ?? 'python3', args: ['-u', pythonWorkerScript, specArg], env: options.env, ...extra };
  }
  if (!existsSync(nodeWorkerScript)) throw new Error(`worker not built: ${nodeWorkerScript} (run npm run build)`);
  const heapCap = options.memoryCapMiB ? [`--max-old-space-size=${options.memoryCapMiB}`] : [];
  return { file: process.execPath, args: ['--expose-gc', ...heapCap, nodeWorkerScript, specArg], env: options.env, ...extra };
}

/** The server's environment without any allocator setting of its own, plus the run's. */
export function workerEnvironment(base: NodeJS.ProcessEnv, env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...base };
  for (const name of KNOB_ENV_NAMES) delete out[name];
  return { ...out, ...env };
}

export type SpawnWorker = (runtime: Runtime, spec: WorkerSpec, events: WorkerEvents, options?: WorkerOptions) => WorkerHandle;

export const spawnWorker: SpawnWorker = (runtime, spec, events, options) => spawnProcess(workerCommand(runtime, spec, options), events, `${runtime} worker`);

/** Runs any worker command (tests use it for misbehaving workers) and validates its fd-3 reports. */
export function spawnProcess({ file, args, env, input, nice = DEFAULT_WORKER_NICE }: WorkerCommand, events: WorkerEvents, label = 'worker'): WorkerHandle {
  const child: ChildProcess = spawn(file, args, {
    // stdout and stderr are read (output-capture.ts); fd CODE_FD carries a custom run's code.
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', ...(input === undefined ? [] : (['pipe'] as const))],
    env: workerEnvironment(process.env, env ?? {}),
    // Its own process group, so kill() reaches anything the worker forked too: a grandchild
    // holding the report pipe open would otherwise keep the run from ever closing.
    detached: true,
  });
  child.stdin!.on('error', () => undefined); // EPIPE once the worker has gone: its exit is reported anyway
  let stderrTail = '';
  const output = captureOutput();
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    output.push(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  if (input !== undefined) {
    const code = child.stdio[CODE_FD] as NodeJS.WritableStream & { on(event: 'error', listener: () => void): unknown };
    code.on('error', () => undefined); // the worker died before reading it: its exit says why
    code.end(input);
  }

  const reports = child.stdio[3] as Readable;
  reports.setEncoding('utf8');
  const lines = createLineSplitter(MAX_LINE_BYTES, (line) => {
    const parsed = parseWorkerLine(line);
    if (parsed.ok) events.onMessage(parsed.message);
    else events.onProtocolError(parsed.error);
  }, (bytes) => events.onProtocolError(`worker sent a line longer than ${MAX_LINE_BYTES} bytes (${bytes} so far)`));
  // After an overflow push() drops everything: the run is being failed and the worker killed.
  reports.on('data', (chunk: string) => lines.push(chunk));

  // 'close' (not 'exit') so every report line has been read before the run is closed.
  child.on('close', (code, signal) => events.onExit(code, signal, stderrTail.trim()));
  child.on('error', (error) => {
    stderrTail += `\n${error.message}`;
  });
  if (child.pid === undefined) {
    // No process, so no run: its 'close' must not end a run that never began.
    child.removeAllListeners('close');
    throw new Error(`could not start the ${label}`);
  }
  const pid = child.pid;
  lowerWorkerPriority(pid, nice);
  return {
    pid,
    ack: () => {
      if (child.stdin!.writable) child.stdin!.write('.');
    },
    output: () => output.result(),
    kill: () => {
      try {
        process.kill(-pid, 'SIGKILL'); // the whole group: the worker and whatever it forked
      } catch {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
  };
}

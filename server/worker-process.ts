// Spawns one worker process and turns its fd-3 report pipe into validated messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { WorkerMessage, describeZodError, type Runtime, type WorkerSpec } from '../shared/schemas.js';
import { nodeWorkerScript } from './paths.js';

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
  kill(): void;
}

export function workerCommand(runtime: Runtime, spec: WorkerSpec): { file: string; args: string[] } {
  if (runtime !== 'node') throw new Error(`no worker for runtime ${runtime}`);
  if (!existsSync(nodeWorkerScript)) throw new Error(`worker not built: ${nodeWorkerScript} (run npm run build)`);
  return { file: process.execPath, args: ['--expose-gc', nodeWorkerScript, JSON.stringify(spec)] };
}

export function spawnWorker(runtime: Runtime, spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
  const { file, args } = workerCommand(runtime, spec);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
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
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

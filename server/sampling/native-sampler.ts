// The sampler as a small native process (native-sampler.c, its protocol is there): the 1 kHz loop
// at the cost of a bare C loop, the machine's floor, where a Node thread costs ~2× it
// (bench/sampler.ts). Its readings arrive on a pipe as the packed (t, rss) pairs the rest of the
// server keeps, stamped on the server's clock. One is started ahead of its run and waits, blocked,
// for a pid; it dies with the server (PR_SET_PDEATHSIG) and never keeps the server alive.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { now } from '../../shared/units.js';
import { distDir } from '../paths.js';
import { timerFallback } from './main-thread-samplers.js';
import type { PackedSamples } from './packed-samples.js';
import { pageSize } from './proc-statm.js';
import { MAX_BATCH_MS, readingsPerSample, untilEndedOrLate, type RssSampler, type SamplerSettings } from './sampler-types.js';

/** Built by scripts/ensure-build.mjs where there is a C compiler. */
export const nativeSamplerBinary = resolve(distDir, 'server/sampling/native-sampler');
export const hasNativeSampler = (): boolean => existsSync(nativeSamplerBinary);

/** The marks in the t slot of a pair (native-sampler.c). */
const BREACH = -1;
const END = -2;
const END_CODES = ['stopped', 'exited', 'error'] as const;
const PAIR_BYTES = 16;

type SamplerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

let spare: SamplerProcess | undefined;

function newSamplerProcess(): SamplerProcess {
  const child = spawn(nativeSamplerBinary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Neither a waiting process nor its pipes keep the server alive.
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as unknown as { unref?(): void }).unref?.();
  const drop = () => spare === child && (spare = undefined);
  child.on('error', drop);
  child.on('exit', drop);
  child.stdin.on('error', () => undefined); // EPIPE once it is gone: seen through 'exit'
  return child;
}

/** Starts a sampler process ahead of the next run (~2 ms, but off the run's critical path). */
export function prewarmNativeSampler(): void {
  spare ??= newSamplerProcess();
}

export function startNativeSampler(pid: number, sampling: SamplerSettings, onWarning?: (m: string) => void): RssSampler {
  const { hz, batchMs, capBytes, onSamples, onBreach } = sampling;
  const child = spare ?? newSamplerProcess();
  spare = undefined;
  const every = readingsPerSample(hz);
  const periodUs = Math.max(1, Math.round(1e6 / hz / every));
  // process.hrtime is CLOCK_MONOTONIC (libuv's uv_hrtime), the clock the process stamps with.
  const clockOffsetMs = now() - Number(process.hrtime.bigint()) / 1e6;
  child.stdin.write(`${pid} ${periodUs} ${every} ${Math.min(batchMs, MAX_BATCH_MS)} ${MAX_BATCH_MS} ${capBytes} ${pageSize()} ${clockOffsetMs}\n`);

  let stopped = false;
  /** stop() has resolved: nothing more is delivered, whatever is still in the pipe. */
  let done = false;
  /** How the process said it ended (its end mark), if it has. */
  let endCode: (typeof END_CODES)[number] | undefined;
  let batchAsked = Math.min(batchMs, MAX_BATCH_MS);
  let fallback: RssSampler | undefined;
  let errorText = '';
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const deliver = (pairs: Float64Array) => {
    let from = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i]! >= 0) continue;
      if (i > from) onSamples(pairs.slice(from, i));
      if (pairs[i] === BREACH) onBreach(pairs[i + 1]!);
      else if (pairs[i] === END) endCode = END_CODES[pairs[i + 1]!] ?? 'error';
      from = i + 2;
    }
    if (from < pairs.length) onSamples(from === 0 ? pairs : pairs.slice(from));
  };
  let rest: Buffer | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    if (done) return;
    const data = rest ? Buffer.concat([rest, chunk]) : chunk;
    const whole = data.length - (data.length % PAIR_BYTES);
    rest = whole < data.length ? Buffer.from(data.subarray(whole)) : undefined;
    // Copied out: a view would pin the pipe's whole read buffer for as long as the run keeps the batch.
    const pairs: PackedSamples = new Float64Array(whole / 8);
    new Uint8Array(pairs.buffer).set(data.subarray(0, whole));
    deliver(pairs);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (errorText = (errorText + text).slice(-500)));
  let failedOnce = false;
  const failed = (why: string) => {
    if (failedOnce || stopped) return;
    failedOnce = true;
    onWarning?.(`sampler process for pid ${pid} failed (${why}); sampling on the main thread`);
    fallback = timerFallback(pid, sampling);
  };
  child.on('error', (error) => {
    failed(error.message);
    resolveEnded();
  });
  // After the process has exited and its last pair (the end mark, or nothing if it died) is read,
  // and all it said on stderr.
  child.on('close', (code, signal) => {
    const why = errorText.trim().slice(0, 200);
    if (endCode === 'error') onWarning?.(`sampler process for pid ${pid}: ${why}`);
    else if (endCode === undefined) failed(signal ? `killed by ${signal}` : `exit code ${code}${why ? `: ${why}` : ', no end mark'}`);
    resolveEnded();
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    method: 'proc-statm-native',
    pid: child.pid,
    /** Taken up when the current batch leaves (≤ MAX_BATCH_MS): the loop reads no control in between. */
    setBatchMs(ms) {
      const asked = Math.min(ms, MAX_BATCH_MS);
      if (!stopped && running() && asked !== batchAsked) child.stdin.write(`b ${asked}\n`);
      batchAsked = asked;
      fallback?.setBatchMs(ms);
    },
    async stop() {
      stopped = true;
      // Held until it has ended: a caller with nothing else to wait on (the CLI, a benchmark)
      // would otherwise exit (code 13, an unsettled await) before the last batch arrived.
      child.ref();
      (child.stdout as unknown as { ref(): void }).ref();
      child.stdin.end();
      if (running()) child.kill('SIGTERM'); // it sends what it holds, then its end
      await untilEndedOrLate(ended);
      await fallback?.stop();
      if (running()) child.kill('SIGKILL');
      done = true;
    },
  };
}

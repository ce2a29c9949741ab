// A memtide server as the user starts it (`node dist/server/main.js`, or an older build's), on a
// given data directory, timed from spawn until /api/health answers; and its RSS from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from '../server/paths.js';
import { sleep } from './lib.js';

export interface TimedServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Spawn → first 200 from /api/health (ms). */
  readyMs: number;
  output(): string;
  stop(): Promise<void>;
}

export const MAIN = resolve(projectRoot, 'dist/server/main.js');

export async function startTimed(dataDir: string, entry = MAIN): Promise<TimedServer> {
  const started = performance.now();
  const child = spawn(process.execPath, [entry], { env: { ...process.env, MEMTIDE_DATA: dataDir, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const found = /memtide: (http:\/\/\S+)/.exec(output);
      if (found) resolveUrl(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  for (;;) {
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    url, pid: child.pid!, child, readyMs, output: () => output,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}

/** Resident memory of a process (bytes). */
export const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

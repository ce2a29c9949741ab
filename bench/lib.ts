// Plumbing shared by the benchmarks: statistics, a server in its own process, and result rows.
// Benchmarks run compiled (npm run bench builds dist/bench first); none of this is used by tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../server/paths.js';
import { quantile } from '../server/sampling/sampling-stats.js';

export { quantile };

export { now } from '../shared/units.js';
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** One target of a benchmark: what was asked, what was measured, and whether it holds. */
export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  note?: string;
}

export interface BenchResult {
  title: string;
  /** Markdown lines: tables and notes, written into RESULTS.md as they are. */
  lines: string[];
  targets: Target[];
}

export function table(header: string[], rows: (string | number)[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/**
 * Time on a CPU so far (ns) of a process's main thread (its only one, for a single-threaded
 * process), or of one of its threads: /proc/…/schedstat's first field, in ns, not 10 ms ticks.
 */
export const cpuNs = (pid: number | 'self', tid?: number | string): number =>
  Number(readFileSync(tid === undefined ? `/proc/${pid}/schedstat` : `/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);

export const machine = (): string => `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The memtide server in its own process (as `npm start` runs it), on a free port. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  // A data directory of its own: one server per directory (the run database refuses a second), and
  // the bench's runs stay out of the checkout's ./.memtide.
  const dataDir = env.MEMTIDE_DATA ?? mkdtempSync(join(tmpdir(), 'memtide-bench-'));
  const child = spawn(process.execPath, [resolve(projectRoot, 'dist/bench/serve.js')], {
    env: { ...process.env, MEMTIDE_DATA: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolveUrl, reject) => {
    lines.once('line', (line) => resolveUrl((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`bench server exited with code ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }).then(() => {
        if (env.MEMTIDE_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
      }),
  };
}

export async function postRun(url: string, body: unknown): Promise<string> {
  const response = await fetch(`${url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as { id?: string; error?: string };
  if (!response.ok || !json.id) throw new Error(`POST /api/runs → ${response.status}: ${json.error}`);
  return json.id;
}

/** The part of client/src/chart-view.ts's ChartView the benchmarks drive through ?probe (client code is not compiled here). */
export interface ChartProbe {
  reset(t0: number, title: string): void;
  addSamples(samples: { t: number; rss: number }[]): void;
  probe?: (sampleTimes: number[], drawMs: number) => void;
}

/**
 * Waits for the run to end, then returns its record. Polls a page of the list (a few runs' info),
 * not the record: GET /api/runs/:id of a running run serializes every sample so far (~100 KB a
 * second of run at 1 kHz), five times a second, on the server's main thread that the benchmarks
 * time.
 */
export async function waitRunEnd(url: string, id: string, timeoutMs = 120_000): Promise<{ status: string; sampleHz: number; achievedHz?: number; sampleGapP99Ms?: number; samples: { t: number }[] }> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const page = (await (await fetch(`${url}/api/runs?limit=20`)).json()) as { runs: { id: string; status: string }[] };
    const status = page.runs.find((r) => r.id === id)?.status;
    if (status !== undefined && status !== 'running' && status !== 'queued') {
      return (await (await fetch(`${url}/api/runs/${id}`)).json()) as Awaited<ReturnType<typeof waitRunEnd>>;
    }
    await sleep(200);
  }
  throw new Error(`run ${id} still running after ${timeoutMs} ms`);
}

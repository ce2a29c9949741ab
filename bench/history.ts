// Issue 13's server-side targets against a store of 10 000 runs, 100 of them 120 s at 1 kHz
// (bench/history-store.ts): ready time and RSS, filter time, end-of-run commit and delete, bytes
// per sample beside the old JSON store's, and /api/health and the live stream while 40 GETs of 120 s
// runs are in flight. Set MEMTIDE_BENCH_BEFORE to an older build's dist/server/main.js to measure
// it too on the old JSON store (1 000 runs of 4 s, as the issue did).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot } from '../server/paths.js';
import WebSocket from 'ws';
import { RunStore } from '../server/storage/run-store.js';
import { pageSpec } from '../server/storage/run-query.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { generateStore, syntheticRun, writeJsonStore } from './history-store.js';
import { rssOf, startTimed } from './history-server.js';
import { fmt, median, now, postRun, quantile, sleep, table, type BenchResult, type Target } from './lib.js';

const MiB = 2 ** 20;
export const STORE_DIR = join(tmpdir(), 'memtide-bench-history-10k');

/** The 10 000-run store, made once and kept between bench runs (it takes ~20 s). */
export function benchStore(): string {
  if (!existsSync(join(STORE_DIR, 'memtide.db'))) generateStore(STORE_DIR, 10_000, 100, console.log).close();
  return STORE_DIR;
}

const timeIt = (fn: () => void, rounds: number): number[] => Array.from({ length: rounds }, () => {
  const t = performance.now();
  fn();
  return performance.now() - t;
});

/** /api/health latency, polled every 20 ms until stop() (ms each). */
function pollHealth(url: string) {
  const times: number[] = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const t = performance.now();
      await fetch(`${url}/api/health`).then((r) => r.arrayBuffer());
      times.push(performance.now() - t);
      await sleep(20);
    }
  })();
  return { stop: async () => ((on = false), await done, times) };
}

/** A live run's sample latency at a WebSocket client (ms from the sampler's stamp to arrival). */
async function streamLatency(url: string): Promise<{ latencies: number[]; close(): void }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const latencies: number[] = [];
  socket.on('message', (data) => {
    const arrived = now();
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'samples' && m.samples.length) latencies.push(arrived - m.samples.at(-1)!.t);
  });
  await new Promise((r) => socket.once('open', r));
  return { latencies, close: () => socket.close() };
}

/** GETs of these runs, all in flight together, round after round, from another process (history-load.ts). */
function getsInFlight(url: string, ids: string[], ms: number): Promise<number[]> {
  const child = spawn(process.execPath, [resolve(projectRoot, 'dist/bench/history-load.js'), url, String(ms), ...ids], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((done, fail) => child.once('exit', (code) => (code === 0 ? done(JSON.parse(out) as number[]) : fail(new Error(`history-load exited with ${code}`)))));
}

export async function run(): Promise<BenchResult> {
  const dir = benchStore();
  const store = new RunStore(dir, { readonly: true });
  const longIds = store.db.prepare('SELECT id FROM runs WHERE sample_count >= 120000 ORDER BY created_at DESC').pluck().all() as string[];
  const shortIds = store.db.prepare('SELECT id FROM runs WHERE sample_count < 10000 ORDER BY created_at DESC LIMIT 10').pluck().all() as string[];
  const bytes = store.db.prepare('SELECT sum(sample_count) samples, (SELECT sum(length(samples)) FROM run_data) blob FROM runs').get() as { samples: number; blob: number };
  store.close();
  const spec = (q: Record<string, string>) => { const r = pageSpec(q); if (!r.ok) throw new Error(r.error); return r.spec; };
  const rw = new RunStore(dir);
  const filter = timeIt(() => rw.page(spec({ experiment: 'py-fragmentation', verdict: 'retained by allocator' })), 50);
  const text = timeIt(() => rw.page(spec({ q: 'jemalloc' })), 20);
  const overall = timeIt(() => rw.page(spec({ sort: 'overall' })), 20);
  const firstPage = timeIt(() => rw.page(spec({})), 50);
  const tenSeconds = Array.from({ length: 20 }, (_, k) => ({ ...syntheticRun(50_000 + k, 10), id: `bench-commit-${k}` }));
  const commit = tenSeconds.map((r) => timeIt(() => rw.save(r), 1)[0]!);
  const del = tenSeconds.map((r) => timeIt(() => rw.delete(r.id), 1)[0]!);
  rw.close();

  // Four servers in turn: how soon each is ready, and its RSS (the median: one reading moved
  // ±8 MiB between servers of the same tree, 126.9-142.3 MiB after opening, 2026-12-07).
  const readies: number[] = [];
  const rssStarts: number[] = [];
  const rssOpeneds: number[] = [];
  for (let i = 0; i < 4; i++) {
    const s = await startTimed(dir);
    readies.push(s.readyMs);
    await sleep(1000);
    rssStarts.push(rssOf(s.pid));
    for (const id of [...longIds.slice(0, 10), ...shortIds]) await fetch(`${s.url}/api/runs/${id}`).then((r) => r.arrayBuffer());
    await sleep(1000);
    rssOpeneds.push(rssOf(s.pid));
    await s.stop();
  }
  const rssStart = median(rssStarts);
  const rssOpened = median(rssOpeneds);
  const server = await startTimed(dir);

  // The live stream and /api/health, quiet, then with 40 GETs of one 120 s run, then of 40 different ones.
  const live = await postRun(server.url, { experiment: 'seed-strings', params: { n: 1_000_000 }, settleMs: 30_000 });
  await sleep(1500);
  const phases: { name: string; health: number[]; stream: number[]; gets: number[] }[] = [];
  for (const [name, ids] of [['quiet', []], ['40 GETs of one 120 s run', Array(40).fill(longIds[20])], ['40 GETs of 40 different 120 s runs', longIds.slice(30, 70)]] as [string, string[]][]) {
    const ws = await streamLatency(server.url);
    const health = pollHealth(server.url);
    const gets = ids.length ? await getsInFlight(server.url, ids, 5000) : (await sleep(5000), []);
    phases.push({ name, health: await health.stop(), stream: ws.latencies, gets });
    ws.close();
  }
  await fetch(`${server.url}/api/runs/${live}/cancel`, { method: 'POST' });
  await server.stop();

  const jsonPerSample = Buffer.byteLength(JSON.stringify(syntheticRun(1, 4))) / 4000;
  const before = await measureBefore();
  const p99 = (xs: number[]) => quantile(xs, 0.99);
  const dbBytes = statSync(join(dir, 'memtide.db')).size;
  const targets: Target[] = [
    { name: 'server ready with 10 000 runs', target: '≤ 1 s', measured: `${fmt(median(readies), 0)} ms (median of ${readies.length})`, met: median(readies) <= 1000 },
    { name: 'server RSS after start', target: '≤ 150 MB', measured: `${fmt(rssStart / MiB, 1)} MiB (median of ${rssStarts.length} servers: ${rssStarts.map((r) => fmt(r / MiB, 1)).join(', ')})`, met: rssStart <= 150e6 },
    { name: 'server RSS after opening 20 runs (10 of 120 s)', target: '≤ 150 MB', measured: `${fmt(rssOpened / MiB, 1)} MiB (median of ${rssOpeneds.length} servers: ${rssOpeneds.map((r) => fmt(r / MiB, 1)).join(', ')})`, met: rssOpened <= 150e6 },
    { name: 'filter by experiment + verdict over 10 000 runs (server time)', target: '≤ 50 ms', measured: `${fmt(median(filter), 2)} ms median, ${fmt(Math.max(...filter), 2)} max`, met: median(filter) <= 50 },
    { name: 'end-of-run commit of a 10 s run (WAL, synchronous FULL)', target: '≤ 20 ms', measured: `${fmt(median(commit), 1)} ms median, ${fmt(Math.max(...commit), 1)} max`, met: median(commit) <= 20 },
    { name: 'delete a run', target: '≤ 50 ms', measured: `${fmt(median(del), 1)} ms median, ${fmt(Math.max(...del), 1)} max`, met: median(del) <= 50 },
    ...phases.slice(1).map((p) => ({ name: `/api/health p99 with ${p.name} in flight`, target: '≤ 20 ms', measured: `${fmt(p99(p.health), 1)} ms (quiet: ${fmt(p99(phases[0]!.health), 1)})`, met: p99(p.health) <= 20 })),
    ...phases.slice(1).map((p) => ({ name: `live stream p99 with ${p.name} in flight`, target: `unchanged (quiet: ${fmt(p99(phases[0]!.stream), 1)} ms)`, measured: `${fmt(p99(p.stream), 1)} ms`, met: p99(p.stream) <= Math.max(25, 1.5 * p99(phases[0]!.stream)), note: 'met: within 1.5 × quiet, or ≤ 25 ms (issue 4\'s target)' })),
    { name: 'bytes on disk per 1 kHz RSS sample', target: '≤ 8 B (JSON store: ~41)', measured: `${fmt(bytes.blob / bytes.samples, 2)} B in the samples blobs; ${fmt(dbBytes / bytes.samples, 2)} B for the whole database file; JSON store ${fmt(jsonPerSample, 1)} B`, met: bytes.blob / bytes.samples <= 8 },
  ];
  return {
    title: 'History at scale (issue 13): a store of 10 000 runs, 100 of them 120 s at 1 kHz',
    lines: [
      `Store: ${bytes.samples.toLocaleString()} RSS samples, ${fmt(dbBytes / MiB, 1)} MiB on disk (made by \`node dist/bench/history-store.js\` in ~20 s). Server: \`node dist/server/main.js\` in its own process.`,
      '',
      ...table(['measure', 'median', 'max'], [
        ['ready (spawn → /api/health 200), ms', fmt(median(readies), 0), fmt(Math.max(...readies), 0)],
        ['first page, no filter (SQL + count + checks), ms', fmt(median(firstPage), 2), fmt(Math.max(...firstPage), 2)],
        ['filter experiment + verdict, ms', fmt(median(filter), 2), fmt(Math.max(...filter), 2)],
        ['text search q=jemalloc, ms', fmt(median(text), 2), fmt(Math.max(...text), 2)],
        ['sort by Overall, ms', fmt(median(overall), 2), fmt(Math.max(...overall), 2)],
        ['commit a 10 s run, ms', fmt(median(commit), 1), fmt(Math.max(...commit), 1)],
        ['delete a run, ms', fmt(median(del), 1), fmt(Math.max(...del), 1)],
      ]),
      '',
      ...table(['while', '/api/health p50 / p99 ms', 'live stream p50 / p99 ms', 'GET /api/runs/:id p50 / p99 ms'], phases.map((p) => [
        p.name, `${fmt(median(p.health), 1)} / ${fmt(p99(p.health), 1)}`, `${fmt(median(p.stream), 1)} / ${fmt(p99(p.stream), 1)}`, p.gets.length ? `${fmt(median(p.gets), 0)} / ${fmt(p99(p.gets), 0)} (${p.gets.length})` : '—',
      ])),
      '',
      ...before.lines,
    ],
    targets,
  };
}

/** The old JSON store (1 000 runs of 4 s) under an older build and under this one (imported once). */
async function measureBefore(): Promise<{ lines: string[] }> {
  const old = process.env.MEMTIDE_BENCH_BEFORE;
  const jsonDir = mkdtempSync(join(tmpdir(), 'memtide-bench-json-'));
  writeJsonStore(jsonDir, 1000, 4);
  const rows: (string | number)[][] = [];
  if (old) {
    const s = await startTimed(jsonDir, old);
    await sleep(1000);
    rows.push([`before: ${old}`, fmt(s.readyMs, 0), fmt(rssOf(s.pid) / MiB, 1)]);
    await s.stop();
  }
  const first = await startTimed(jsonDir);
  await sleep(1000);
  rows.push(['this build, first start (imports the 1 000 files)', fmt(first.readyMs, 0), fmt(rssOf(first.pid) / MiB, 1)]);
  await first.stop();
  const second = await startTimed(jsonDir);
  await sleep(1000);
  rows.push(['this build, next start', fmt(second.readyMs, 0), fmt(rssOf(second.pid) / MiB, 1)]);
  await second.stop();
  return {
    lines: [
      'The old JSON store (1 000 runs of 4 s at 1 kHz, the issue\'s "before"), RSS 1 s after ready:',
      '',
      ...table(['server', 'ready ms', 'RSS MiB'], rows),
      ...(old ? [] : ['', '(MEMTIDE_BENCH_BEFORE not set: the older build was not measured in this run.)']),
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines, '', ...result.targets.map((t) => `- ${t.met ? 'MET' : 'NOT MET'} ${t.name}: ${t.measured} (target ${t.target})`)].join('\n'));
}

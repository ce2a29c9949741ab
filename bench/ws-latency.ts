// Latency from a sample's acquisition (its t, taken by the sampler) to its arrival in a WebSocket
// client on loopback, with 1 and with 50 clients. Server in its own process, clients in this one.
import WebSocket from 'ws';
import type { ServerMessage } from '../shared/protocol/ws.js';
import type { RunInfo } from '../shared/run-record.js';
import { fmt, median, now, postRun, quantile, startServerProcess, table, type BenchResult } from './lib.js';

const EXPERIMENT = { experiment: 'seed-strings', params: { n: 10_000_000 } };

interface Client {
  socket: WebSocket;
  latencies: number[];
  /** Resolves with the run's info (rate achieved…) once run-finished or run-failed arrives. */
  ended(runId: string): Promise<RunInfo>;
}

function connect(url: string, runId: () => string | undefined): Promise<Client> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const latencies: number[] = [];
  const ends = new Map<string, RunInfo>();
  const waiting = new Map<string, (run: RunInfo) => void>();
  socket.on('message', (data) => {
    const arrived = now();
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'samples' && m.runId === runId()) for (const s of m.samples) latencies.push(arrived - s.t);
    if (m.type === 'run-finished' || m.type === 'run-failed') {
      ends.set(m.runId, m.run);
      waiting.get(m.runId)?.(m.run);
    }
  });
  const ended = (id: string) => new Promise<RunInfo>((resolve) => (ends.has(id) ? resolve(ends.get(id)!) : waiting.set(id, resolve)));
  return new Promise((resolve, reject) => socket.once('open', () => resolve({ socket, latencies, ended })).once('error', reject));
}

/** Server clock minus ours, from the ping with the shortest round trip. */
async function clockOffset(socket: WebSocket): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const t = now();
    const pong = await new Promise<{ serverT: number }>((resolve) => {
      const on = (data: WebSocket.RawData) => {
        const m = JSON.parse(data.toString()) as ServerMessage;
        if (m.type === 'pong' && m.t === t) {
          socket.off('message', on);
          resolve(m);
        }
      };
      socket.on('message', on);
      socket.send(JSON.stringify({ type: 'ping', t }));
    });
    const back = now();
    if (back - t < best.rtt) best = { rtt: back - t, offset: pong.serverT - (t + back) / 2 };
  }
  return best.offset;
}

export interface LatencyRow { clients: number; p50: number; p99: number; max: number; samples: number; offset: number; runs: RunInfo[] }

export async function measureWsLatency(clientCounts = [1, 50], runsEach = 2): Promise<LatencyRow[]> {
  const server = await startServerProcess({ MEMTIDE_SAMPLE_HZ: '1000' });
  const out = [];
  try {
    for (const count of clientCounts) {
      let runId: string | undefined;
      const runs: RunInfo[] = [];
      const clients = await Promise.all(Array.from({ length: count }, () => connect(server.url, () => runId)));
      const offset = await clockOffset(clients[0]!.socket);
      for (let r = 0; r < runsEach; r++) {
        runId = await postRun(server.url, EXPERIMENT);
        const [run] = await Promise.all(clients.map((c) => c.ended(runId!)));
        runs.push(run!);
      }
      const all = clients.flatMap((c) => c.latencies.map((l) => l + offset));
      out.push({ clients: count, p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: quantile(all, 1), samples: all.length, offset, runs });
      for (const c of clients) c.socket.close();
    }
  } finally {
    await server.stop();
  }
  return out;
}

const ROUNDS = 3;

export async function run(): Promise<BenchResult> {
  const all: (LatencyRow & { round: number })[] = [];
  for (let i = 0; i < ROUNDS; i++) all.push(...(await measureWsLatency()).map((r) => ({ ...r, round: i + 1 })));
  const rows = [1, 50].map((clients) => {
    const mine = all.filter((r) => r.clients === clients);
    return { clients, p50: median(mine.map((r) => r.p50)), p99: median(mine.map((r) => r.p99)) };
  });
  const runHz = all.flatMap((r) => r.runs.map((run) => run.achievedHz ?? 0));
  const runGap = all.flatMap((r) => r.runs.map((run) => run.sampleGapP99Ms ?? Infinity));
  return {
    title: `Sample → WebSocket client latency (loopback, 1 kHz, seed-strings n=10⁷; ${ROUNDS} rounds of 2 runs per client count)`,
    lines: [
      ...table(['round', 'clients', 'p50 ms', 'p99 ms', 'max ms', 'latencies', 'clock offset ms'], all.map((r) => [r.round, r.clients, fmt(r.p50), fmt(r.p99), fmt(r.max), r.samples, fmt(r.offset, 3)])),
      '',
      'The runs themselves, as their records say (sampled at 1 kHz from spawn to exit, with these clients connected):',
      '',
      ...table(['round', 'clients', 'achieved Hz', 'sample gap p99 ms'], all.flatMap((r) => r.runs.map((run) => [r.round, r.clients, fmt(run.achievedHz ?? NaN, 1), fmt(run.sampleGapP99Ms ?? NaN)]))),
      '',
      `Medians of the rounds: ${rows.map((r) => `${r.clients} client(s) p50 ${fmt(r.p50)} / p99 ${fmt(r.p99)} ms`).join('; ')}. Server in its own process, all clients in this one; the clock offset (server − client, fastest of 20 pings) is applied.`,
    ],
    targets: [
      { name: 'achieved rate on real runs (1 kHz asked)', target: '1000 Hz (≥ 980)', measured: `${fmt(median(runHz), 1)} Hz (median of ${runHz.length} runs)`, met: median(runHz) >= 980 },
      { name: 'sample gap p99 on real runs', target: '≤ 2 ms', measured: `${fmt(median(runGap))} ms (median; worst ${fmt(Math.max(...runGap))})`, met: median(runGap) <= 2 },
      ...rows.flatMap((r) => [
        { name: `WS latency p50, ${r.clients} client(s)`, target: '≤ 10 ms', measured: `${fmt(r.p50)} ms`, met: r.p50 <= 10 },
        { name: `WS latency p99, ${r.clients} client(s)`, target: '≤ 25 ms', measured: `${fmt(r.p99)} ms`, met: r.p99 <= 25 },
      ]),
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

// A stalled client (it stops reading its socket) next to a healthy one, under a heavy synthetic
// samples stream: does the server's memory stay bounded, and does the healthy client stay fast?
import WebSocket from 'ws';
import { startApp } from '../server/app.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { packSamples } from '../server/sampling/packed-samples.js';
import type { Sample } from '../shared/run-record.js';
import { fmt, now, quantile, sleep, table, type BenchResult } from './lib.js';

const SECONDS = 8;
const FRAMES_PER_S = 400;
const SAMPLES_PER_FRAME = 1000; // 400k samples/s, ~15 MB/s of JSON: more than the kernel's socket buffers (tens of MB) can hide

const MiB = 1024 * 1024;
/** What the send queues hold (JSON strings, frames), read after a full GC so garbage does not count. */
const queuedBytes = () => {
  global.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

export async function measureBackpressure() {
  const app = await startApp({ host: '127.0.0.1', port: 0 });
  const wsUrl = `${app.url.replace('http', 'ws')}/ws`;
  const open = (s: WebSocket) => new Promise((r) => s.once('open', r));
  const stalled = new WebSocket(wsUrl);
  const healthy = new WebSocket(wsUrl);
  await Promise.all([open(stalled), open(healthy)]);
  stalled.pause(); // stops reading: the kernel buffers fill, then the server's send queue would
  const latencies: number[] = [];
  const notices: ServerMessage[] = [];
  healthy.on('message', (data) => {
    const arrived = now();
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'samples') latencies.push(arrived - m.samples[0]!.t);
  });
  stalled.on('message', (data) => {
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'samples-dropped') notices.push(m);
  });
  const before = queuedBytes();
  let peak = 0;
  let rss = 0x4000000;
  const started = now();
  let frames = 0;
  while (now() - started < SECONDS * 1000) {
    const t = now();
    const samples: Sample[] = Array.from({ length: SAMPLES_PER_FRAME }, (_, i) => ({ t: t + i / 1000, rss: rss + i * 4096 }));
    rss += 4096;
    app.hub.samples('bench-backpressure', packSamples(samples));
    frames++;
    if (frames % FRAMES_PER_S === 0) peak = Math.max(peak, queuedBytes() - before);
    await sleep(Math.max(0, started + (frames * 1000) / FRAMES_PER_S - now()));
  }
  const grownMiB = Math.max(peak, queuedBytes() - before) / MiB;
  stalled.resume();
  await sleep(1000); // it drains what was queued; the next frame carries the notice
  app.hub.samples('bench-backpressure', Float64Array.of(now(), rss));
  await sleep(300);
  healthy.close();
  stalled.terminate();
  await app.close();
  return {
    frames, grownMiB, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99),
    // less the frame sent after the stream, which carried the notice
    received: latencies.length - 1,
    notices: notices.map((n) => (n.type === 'samples-dropped' ? `samples-dropped (${n.count.toLocaleString('en')})` : n.type)),
  };
}

export async function run(): Promise<BenchResult> {
  const r = await measureBackpressure();
  const sentMiB = (r.frames * SAMPLES_PER_FRAME * 38) / MiB;
  return {
    title: `Stalled client: ${SECONDS} s of ${FRAMES_PER_S} frames/s × ${SAMPLES_PER_FRAME} samples (~${fmt(sentMiB, 1)} MiB of JSON per client)`,
    lines: table(
      ['server send-queue growth (peak, after GC) MiB', 'healthy client p50 ms', 'healthy p99 ms', 'frames received by healthy / sent', 'notices to the stalled client'],
      [[fmt(r.grownMiB, 1), fmt(r.p50), fmt(r.p99), `${r.received} / ${r.frames}`, r.notices.join(', ') || 'none']],
    ),
    targets: [
      { name: 'stalled client: server memory bounded', target: 'growth ≪ what was sent', measured: `${fmt(r.grownMiB, 1)} MiB of ~${fmt(sentMiB, 1)} MiB`, met: r.grownMiB < 8 },
      { name: 'stalled client: healthy client undelayed', target: 'p99 ≤ 25 ms', measured: `${fmt(r.p99)} ms`, met: r.p99 <= 25 },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

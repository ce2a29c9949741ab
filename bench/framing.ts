// Is JSON the bottleneck for `samples` frames? What one frame costs to encode on the server and
// to decode + validate in a client (zod, as client/src/ws-client.ts does), against a compact
// binary framing of the same samples, and against the time a sample already waits in its batch.
import { ServerMessage } from '../shared/protocol/ws.js';
import { type Sample } from '../shared/run-record.js';
import { BATCH_MS } from '../server/sampling/rss-sampler.js';
import { fmt, median, table, type BenchResult } from './lib.js';

const SAMPLES_PER_FRAME = 10; // 1 kHz in batches of 10 ms

function frame(t0: number): Extract<ServerMessage, { type: 'samples' }> {
  const samples: Sample[] = Array.from({ length: SAMPLES_PER_FRAME }, (_, i) => ({ t: t0 + i + 0.123456, rss: 123_456_789 + i * 4096 }));
  return { type: 'samples', runId: 'mwv86xnn-686ed7', samples };
}

/** The binary alternative: (t, rss) as float64 pairs, as the sampler thread already posts them. */
function toPairs(samples: readonly Sample[]): Buffer {
  const a = new Float64Array(samples.length * 2);
  for (let k = 0; k < samples.length; k++) {
    a[2 * k] = samples[k]!.t;
    a[2 * k + 1] = samples[k]!.rss;
  }
  return Buffer.from(a.buffer);
}

function usPer(n: number, fn: (i: number) => unknown): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - start) * 1000) / n;
}

export async function run(): Promise<BenchResult> {
  const frames = Array.from({ length: 1000 }, (_, i) => frame(1.7e12 + i * 10));
  const texts = frames.map((f) => JSON.stringify(f));
  const binaries = frames.map((f) => toPairs(f.samples));
  const rounds = { jsonEncode: [] as number[], jsonDecode: [] as number[], binEncode: [] as number[], binDecode: [] as number[] };
  for (let r = 0; r < 5; r++) {
    rounds.jsonEncode.push(usPer(20_000, (i) => JSON.stringify(frames[i % 1000])));
    rounds.jsonDecode.push(usPer(20_000, (i) => ServerMessage.parse(JSON.parse(texts[i % 1000]!))));
    rounds.binEncode.push(usPer(20_000, (i) => toPairs(frames[i % 1000]!.samples)));
    rounds.binDecode.push(usPer(20_000, (i) => {
      const b = binaries[i % 1000]!;
      const a = new Float64Array(b.buffer, b.byteOffset, b.length / 8);
      const out: Sample[] = [];
      for (let k = 0; k < a.length; k += 2) out.push({ t: a[k]!, rss: a[k + 1]! });
      return out;
    }));
  }
  const m = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)])) as Record<keyof typeof rounds, number>;
  const jsonTotal = m.jsonEncode + m.jsonDecode;
  const share = jsonTotal / 1000 / BATCH_MS;
  return {
    title: `Framing: one samples frame of ${SAMPLES_PER_FRAME} samples (1 kHz in ${BATCH_MS} ms batches), median µs of 5 rounds`,
    lines: [
      ...table(['framing', 'bytes', 'encode µs (server)', 'decode µs (client)'], [
        ['JSON + zod validation (as shipped)', texts[0]!.length, fmt(m.jsonEncode), fmt(m.jsonDecode)],
        ['binary Float64 pairs (not shipped)', binaries[0]!.length, fmt(m.binEncode), fmt(m.binDecode)],
      ]),
      '',
      `JSON encode + decode = ${fmt(jsonTotal)} µs per frame, ${fmt(share * 100, 2)} % of the ${BATCH_MS} ms a sample already waits in its batch, and ${fmt(jsonTotal / 100, 3)} % of one core at 100 frames/s. Not the bottleneck: samples stay JSON.`,
    ],
    targets: [{ name: 'JSON framing cost per sample frame', target: 'switch to binary only if JSON is the bottleneck', measured: `${fmt(jsonTotal)} µs per frame (${fmt(share * 100, 2)} % of the batch wait)`, met: share < 0.05 }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

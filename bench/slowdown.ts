// Does sampling at 1 kHz slow the experiment it watches? The allocate phase's duration with the
// sampler on and off, alternating runs of the same worker, median of each side.
import { sampleCount } from '../server/sampling/packed-samples.js';
import { startRssSampler, type RssSampler } from '../server/sampling/rss-sampler.js';
import { spawnWorker } from '../server/worker-process.js';
import { workerSpec } from '../shared/protocol/worker.js';
import { fmt, median, quantile, table, type BenchResult } from './lib.js';

const PAIRS = 9;
const EXPERIMENTS = [
  { experiment: 'seed-strings', params: { n: 10_000_000 } },
  { experiment: 'small-objects', params: { n: 5_000_000 } },
];

/** One worker run: how long allocate took (ms, the worker's own phase edges). */
function allocateMs(spec: { experiment: string; params: Record<string, number> }, sampled: boolean): Promise<{ ms: number; samples: number }> {
  return new Promise((resolve, reject) => {
    let start = 0;
    let end = 0;
    let sampler: RssSampler | undefined;
    let samples = 0;
    const worker = spawnWorker('node', workerSpec(spec), {
      onMessage(m) {
        // A worker waits after each phase end for the server's memory breakdown: let it go on.
        if (m.type === 'phase' && m.edge === 'end') worker.ack();
        if (m.type !== 'phase' || m.phase !== 'allocate') return;
        if (m.edge === 'start') start = m.t;
        else end = m.t;
      },
      onProtocolError: (reason) => reject(new Error(reason)),
      onExit: (code) => {
        void (sampler?.stop() ?? Promise.resolve()).then(() => (code === 0 && end > start ? resolve({ ms: end - start, samples }) : reject(new Error(`worker exited with ${code}`))));
      },
    });
    if (sampled) sampler = startRssSampler(worker.pid, 1000, (batch) => (samples += sampleCount(batch)));
  });
}

export async function run(): Promise<BenchResult> {
  const rows: (string | number)[][] = [];
  const ratios: number[] = [];
  for (const spec of EXPERIMENTS) {
    const on: number[] = [];
    const off: number[] = [];
    const pairRatios: number[] = [];
    await allocateMs(spec, false); // warm the page cache and the CPU
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which goes first so drift on a shared machine does not favour one side; the
      // ratio of each adjacent pair cancels the slow swings of the others' load.
      const order = i % 2 === 0 ? [true, false] : [false, true];
      for (const sampled of order) (sampled ? on : off).push((await allocateMs(spec, sampled)).ms);
      pairRatios.push(on.at(-1)! / off.at(-1)!);
    }
    const ratio = median(pairRatios);
    ratios.push(ratio);
    const spread = (quantile(off, 0.75) - quantile(off, 0.25)) / median(off);
    rows.push([`${spec.experiment} n=${spec.params.n.toLocaleString('en')}`, fmt(median(off), 1), fmt(median(on), 1), fmt(ratio, 3), fmt(median(on) / median(off), 3), `±${fmt(spread * 50, 0)} %`, `${off.map((x) => fmt(x, 0)).join(' ')} / ${on.map((x) => fmt(x, 0)).join(' ')}`]);
  }
  const worst = Math.max(...ratios);
  return {
    title: `Sampler on vs off: the allocate phase's duration (${PAIRS} adjacent pairs, alternating order)`,
    lines: [
      ...table(['experiment', 'off ms (median)', 'on (1 kHz thread) ms (median)', 'on / off (median of pair ratios)', 'on / off (ratio of medians)', 'noise: off runs ½ IQR / median', 'all runs off / on'], rows),
      '',
      'The spread between runs of the same side is the shared machine: compare the ratio with it.',
    ],
    targets: [{ name: 'allocate duration, sampler on / off', target: '≤ 1.05', measured: `${ratios.map((r) => fmt(r, 3)).join(', ')} (median of pair ratios)`, met: worst <= 1.05 }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

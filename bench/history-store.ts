// Makes a run store to benchmark the history against: `node dist/bench/history-store.js <dir>
// [runs] [long]` writes <dir>/memtide.db with `runs` runs (default 10 000), `long` of them (default
// 100) 120 s at 1 kHz, the rest 2–5 s; `--json <dir> <runs> <seconds>` writes the old JSON store
// (one <id>.json per run) instead, for the before/after figures. The runs look like real ones: RSS
// in pages over the five phases with the sampler's µs jitter, heap reports every 50 ms, one memory
// breakdown per phase end, a summary with a verdict; experiments, knobs and verdicts vary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../shared/catalog/index.js';
import { PHASES, VERDICTS, type HeapSample, type MemoryBreakdown, type RunRecord, type Sample } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { RunStore } from '../server/storage/run-store.js';

const T0 = Date.UTC(2026, 0, 1);
const PAGE = 4096;
const KNOBS = [{}, { trim: true }, { allocator: 'jemalloc' as const }, { mallocArenaMax: 2 }, {}, {}];

/** A small deterministic generator, so two stores made alike are alike. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
}

/** Run `i` of the store: `seconds` long at 1 kHz, started `i` minutes after T0. */
export function syntheticRun(i: number, seconds: number): RunRecord {
  const rnd = random(i + 1);
  const experiment = CATALOG[i % CATALOG.length]!;
  const start = T0 + i * 60_000;
  const n = seconds * 1000;
  const phaseMs = n / PHASES.length;
  const phases = PHASES.map((name, k) => ({ name, start: start + k * phaseMs, end: start + (k + 1) * phaseMs }));
  const base = 40 * MiB + Math.floor(rnd() * 4) * MiB;
  const peak = base + (50 + Math.floor(rnd() * 400)) * MiB;
  const kept = rnd();
  const samples: Sample[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const phase = Math.floor(k / phaseMs);
    const level = phase === 0 ? base : phase === 1 ? base + ((peak - base) * (k - phaseMs)) / phaseMs : base + (peak - base) * (phase >= 3 ? kept : 1);
    const t = Math.round((start + k + rnd() * 0.08) * 1000) / 1000; // the sampler's whole-µs stamps
    samples[k] = { t, rss: Math.round((level + rnd() * 64 * 1024) / PAGE) * PAGE };
  }
  const heap: HeapSample[] = [];
  for (let t = start; t < start + n; t += 50) {
    const phase = PHASES[Math.min(PHASES.length - 1, Math.floor((t - start) / phaseMs))]!;
    heap.push({ t, heapUsed: Math.round(5 * MiB + rnd() * MiB), heapTotal: 8 * MiB, external: MiB, arrayBuffers: 0, phase });
  }
  const breakdowns: MemoryBreakdown[] = phases.map((p) => ({
    t: p.end, phase: p.name, rss: base, pss: base, anonymous: base / 2, privateDirty: base / 2, swap: 0, brkHeap: MiB, anonMappings: base / 2, fileMappings: base / 4, otherMappings: MiB,
  }));
  const failed = i % 23 === 22;
  const overallPct = Math.round(((peak - base) * kept * 100) / base * 100) / 100;
  const verdict = VERDICTS[i % VERDICTS.length]!;
  return {
    id: `bench-${String(i).padStart(5, '0')}`, experiment: experiment.id, runtime: experiment.runtime,
    params: Object.fromEntries(experiment.params.map((p) => [p.name, p.default])), knobs: KNOBS[i % KNOBS.length]!, workerEnv: {},
    status: failed ? 'failed' : 'finished', createdAt: start, endedAt: start + n, pid: 1000 + i, runtimeVersion: experiment.runtime === 'node' ? 'v20.20.2' : '3.11.7',
    settleMs: 1000, sampleHz: 1000, achievedHz: 999.5, sampleGapP99Ms: 1.05, sampler: 'proc-statm-thread', memoryCapMiB: 2048, wallClockCapS: 120,
    summary: failed ? null : {
      mem0: base, mem1: peak, mem2: peak, mem3: base + (peak - base) * kept, mem4: base + (peak - base) * kept, peak,
      allocationPct: ((peak - base) * 100) / base, unreferencePct: 0, collectPct: overallPct - ((peak - base) * 100) / base, settlePct: 0,
      overallPct, finalPct: overallPct, verdict, verdictText: `${verdict}: synthetic run ${i}`,
    },
    ...(failed && { error: 'killed: exceeded memory cap 2048 MiB at phase allocate' }),
    phases, samples, heap, breakdowns,
  };
}

/** Seconds of run `i`: the first `long` runs spread through the store are 120 s, the rest 2–5 s. */
export const secondsOf = (i: number, runs: number, long: number): number => (long > 0 && i % Math.floor(runs / long) === 0 && i / Math.floor(runs / long) < long ? 120 : 2 + (i % 4));

export function generateStore(dir: string, runs = 10_000, long = 100, log: (line: string) => void = () => undefined): RunStore {
  const store = new RunStore(dir);
  const BATCH = 250;
  for (let from = 0; from < runs; from += BATCH) {
    // One transaction per batch (saves nest as savepoints): 10 000 fsyncs would take minutes.
    store.db.transaction(() => {
      for (let i = from; i < Math.min(runs, from + BATCH); i++) store.save(syntheticRun(i, secondsOf(i, runs, long)));
    })();
    if (from % 2000 === 0) log(`history-store: ${from} of ${runs} runs written`);
  }
  return store;
}

export function writeJsonStore(dir: string, runs: number, seconds: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < runs; i++) {
    const record = syntheticRun(i, seconds);
    writeFileSync(join(dir, `${record.id}.json`), JSON.stringify(record));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === '--json') {
    const [dir, runs = '1000', seconds = '4'] = rest;
    writeJsonStore(dir!, Number(runs), Number(seconds));
  } else if (first) {
    const [runs = '10000', long = '100'] = rest;
    generateStore(first, Number(runs), Number(long), console.log).close();
  } else {
    console.error('usage: node dist/bench/history-store.js <dir> [runs] [long]  |  --json <dir> [runs] [seconds]');
    process.exit(2);
  }
}

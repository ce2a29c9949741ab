// Issue 15's benchmark: does watching a process slow it down? A target running a fixed CPU +
// allocation loop with 1 GiB resident, its throughput unwatched vs watched (statm at 1 kHz +
// the adaptive smaps breakdown + cgroup), alternating in one run, as the median of per-round
// ratios (target ≤ 1.03). Then the smaps read time at 100 MiB, 1 GiB and 4 GiB of RSS and the
// interval the watch settled on for each. Run alone: `npm run bench -- watch-overhead`, or
// `node dist/bench/watch-overhead.js` (which also writes its section of bench/RESULTS.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../server/paths.js';
import { readWatchBreakdown } from '../server/watch/smaps-breakdown.js';
import { WatchRegistry } from '../server/watch/watch-registry.js';
import type { RunRecord } from '../shared/run-record.js';
import { now } from '../shared/units.js';
import { killVictims, spawnVictim, type Victim } from '../test/victims.js';
import { cpuNs, fmt, machine, median, sleep, table, type BenchResult } from './lib.js';

const TARGET = resolve(projectRoot, 'bench/watch-target.py');
const ROUNDS = 8;
const PHASE_MS = 5000;
/** Throughput is counted from this long into a phase: the watch's threads start, and its first
 * two smaps reads (the first is a warm-up, the second comes 0.5 s later) are over. */
const SKIP_MS = 1500;
const SIZES_MIB = [100, 1024, 4096];
const monotonicMs = () => Number(process.hrtime.bigint() / 1_000_000n);

/** The target's time on a CPU so far (ms). */
const cpuMs = (pid: number) => cpuNs(pid) / 1e6;

/** Iterations per second of wall time, and per second the target was on a CPU (which a machine
 * busy with other work changes far less), between from and to (CLOCK_MONOTONIC ms). */
function rates(victim: Victim, from: number, to: number, cpu: number): { wall: number; perCpu: number } {
  const points = victim.output().split('\n').map((l) => l.split(' ').map(Number)).filter((p) => p.length === 2 && p[0]! >= from && p[0]! <= to) as [number, number][];
  if (points.length < 2) throw new Error('the target reported too little (is python3 there?)');
  const [first, last] = [points[0]!, points.at(-1)!];
  const iterations = last[1] - first[1];
  return { wall: (iterations * 1000) / (last[0] - first[0]), perCpu: (iterations * 1000) / (cpu * ((last[0] - first[0]) / (to - from))) };
}

function newRegistry(records: RunRecord[]): WatchRegistry {
  return new WatchRegistry({ events: { send: () => undefined, samples: () => undefined, watching: () => false }, storeEnded: (r) => void records.push(r), sampleHz: 1000, probePolicy: { allowed: false, reason: 'bench' } });
}

/** Watches pid for ms, calling during() once skipMs in (and awaiting it) before the end. */
async function watched(registry: WatchRegistry, pid: number, ms: number, during?: { skipMs: number; fn: () => Promise<void> }): Promise<void> {
  const created = await registry.create({ pid });
  if (!created.ok) throw new Error(created.error);
  if (during) {
    await sleep(during.skipMs);
    await during.fn();
  } else await sleep(ms);
  await registry.stop(created.id);
}

async function overhead(): Promise<{ lines: string[]; ratio: number; cpuRatio: number; achievedHz: number }> {
  const victim = await spawnVictim('python3', [TARGET, '1024'], {}, 60_000);
  const records: RunRecord[] = [];
  const registry = newRegistry(records);
  const rows: (string | number)[][] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  await sleep(1000); // the loop warms up
  for (let round = 0; round < ROUNDS; round++) {
    const measured: Record<'off' | 'on', { wall: number; perCpu: number }> = { off: { wall: 0, perCpu: 0 }, on: { wall: 0, perCpu: 0 } };
    for (const side of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const window = async () => {
        const [from, cpu0] = [monotonicMs(), cpuMs(victim.pid)];
        await sleep(PHASE_MS - SKIP_MS);
        const [to, cpu1] = [monotonicMs(), cpuMs(victim.pid)];
        measured[side] = rates(victim, from, to, cpu1 - cpu0);
      };
      if (side === 'on') await watched(registry, victim.pid, PHASE_MS, { skipMs: SKIP_MS, fn: window });
      else await sleep(SKIP_MS).then(window);
    }
    ratios.push(measured.off.wall / measured.on.wall);
    cpuRatios.push(measured.off.perCpu / measured.on.perCpu);
    const record = records.at(-1)!;
    rows.push([round + 1, fmt(measured.off.wall, 0), fmt(measured.on.wall, 0), fmt(ratios.at(-1)!, 3), fmt(measured.off.perCpu, 0), fmt(measured.on.perCpu, 0), fmt(cpuRatios.at(-1)!, 3),
      fmt(record.achievedHz ?? 0, 0), record.watchTimeline!.breakdowns.length, fmt(record.watchTimeline!.smapsRates.at(-1)?.intervalMs ?? 0, 0)]);
  }
  killVictims();
  const ratio = median(ratios);
  const cpuRatio = median(cpuRatios);
  return {
    ratio,
    cpuRatio,
    achievedHz: median(records.map((r) => r.achievedHz ?? 0)),
    lines: [
      `A CPython target with 1 GiB resident runs a fixed loop (200 small str objects + a 256 KiB bytearray per iteration); ${ROUNDS} rounds of ${PHASE_MS / 1000} s unwatched and ${PHASE_MS / 1000} s watched (WatchRegistry: statm at 1 kHz, smaps + cgroup at the adaptive rate), alternating which goes first; throughput counted from ${SKIP_MS} ms into each phase (the watch's start and its first two smaps reads are before that), per second of wall time and per second the target was on a CPU (/proc/PID/schedstat).`,
      '',
      ...table(['round', 'iter/s unwatched', 'watched', 'ratio', 'iter/CPU-s unwatched', 'watched', 'ratio', 'statm Hz', 'breakdowns', 'smaps interval (ms)'], rows),
      '',
      ...(loadavg()[0]! > cpus().length
        ? [`The load average (${fmt(loadavg()[0]!, 1)}) is over the ${cpus().length} cores: wall-clock throughput follows the scheduler's share among everyone's processes more than the watch, so rounds scatter widely; the per-CPU ratio is the steadier reading, and the wall ratio wants a quiet machine.`, '']
        : []),
      `Median ratio unwatched / watched: **${fmt(ratio, 3)}** per wall second (spread ${fmt(Math.min(...ratios), 3)}–${fmt(Math.max(...ratios), 3)}), **${fmt(cpuRatio, 3)}** per CPU second (spread ${fmt(Math.min(...cpuRatios), 3)}–${fmt(Math.max(...cpuRatios), 3)}).`,
    ],
  };
}

async function smapsCost(): Promise<string[]> {
  const rows: (string | number)[][] = [];
  for (const mib of SIZES_MIB) {
    const victim = await spawnVictim('python3', [TARGET, String(mib), 'idle'], {}, 120_000);
    const direct: number[] = [];
    for (let i = 0; i < 11; i++) {
      const reading = readWatchBreakdown(victim.pid, now);
      if (reading.ok) direct.push(reading.breakdown.readMs);
    }
    const records: RunRecord[] = [];
    await watched(newRegistry(records), victim.pid, 12_000);
    const timeline = records[0]!.watchTimeline!;
    const rss = timeline.breakdowns.at(-1)?.rss ?? 0;
    rows.push([`${mib} MiB`, fmt(rss / 2 ** 20, 0), timeline.breakdowns.at(-1)?.mappings ?? 0, fmt(median(direct.slice(1)), 2), fmt(median(timeline.breakdowns.map((b) => b.readMs)), 2),
      timeline.smapsRates.map((r) => fmt(r.intervalMs, 0)).join(' → '), timeline.breakdowns.length]);
    killVictims();
  }
  return [
    'An idle CPython target holding each size (touched); the read time of smaps_rollup + smaps + the threads\' stack pointers, parsed, median of 10 reads from this process, and inside a 12 s watch (its memory thread), with the intervals the watch went through (one recorded per change > 25 %):',
    '',
    ...table(['held', 'RSS MiB', 'mappings', 'read + parse (ms, direct)', 'read + parse (ms, in the watch)', 'smaps interval (ms)', 'breakdowns in 12 s'], rows),
  ];
}

export async function run(): Promise<BenchResult> {
  try {
    const { lines, ratio, cpuRatio, achievedHz } = await overhead();
    const cost = await smapsCost();
    return {
      title: 'Watching a process (issue 15): target throughput and the smaps read cost',
      lines: [...lines, '', ...cost],
      targets: [
        { name: 'target throughput unwatched / watched (statm 1 kHz + adaptive smaps)', target: '≤ 1.03', measured: fmt(ratio, 3), met: ratio <= 1.03, note: `median of ${ROUNDS} rounds of wall-clock throughput; per CPU second ${fmt(cpuRatio, 3)}; watch's statm at ${fmt(achievedHz, 0)} Hz` },
      ],
    };
  } finally {
    killVictims();
  }
}

/** Run alone: print, and put this section (between its markers) into bench/RESULTS.md. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  const before = load();
  const result = await run();
  const section = [
    '<!-- watch-overhead -->',
    `## ${result.title}`,
    '',
    `Run alone (\`node dist/bench/watch-overhead.js\`) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Machine: ${machine()}, Linux ${release()}; Node ${process.version}; load average ${before} before, ${load()} after.`,
    '',
    ...result.targets.map((t) => `- **${t.met ? 'met' : 'not met'}**: ${t.name}: ${t.measured} (target ${t.target}; ${t.note})`),
    '',
    ...result.lines,
    '<!-- /watch-overhead -->',
  ].join('\n');
  console.log(section);
  const file = resolve(projectRoot, 'bench/RESULTS.md');
  const text = readFileSync(file, 'utf8');
  const marked = /<!-- watch-overhead -->[\s\S]*<!-- \/watch-overhead -->/;
  const history = text.indexOf('\n## Before and after each change');
  writeFileSync(file, marked.test(text) ? text.replace(marked, section)
    : history >= 0 ? `${text.slice(0, history)}\n${section}\n${text.slice(history)}` : `${text}\n${section}\n`);
}

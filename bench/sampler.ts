// The sampler's own costs, side by side in one process: one reading by each way (raw pread, the
// sampler's hot path, readFileSync, pidusage), then the 1 kHz loop's rate, regularity and CPU,
// on its own thread and on a main-thread timer (the slice's design), against a bare C loop if a
// C compiler is there: the machine's floor for waking 1000 times a second.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pidusage from 'pidusage';
import type { Sample } from '../shared/run-record.js';
import { unpackSamples } from '../server/sampling/packed-samples.js';
import { openStatm } from '../server/sampling/proc-statm.js';
import { BATCH_MS, defaultMethod, IDLE_BATCH_MS, startRssSampler, type SamplerMethod } from '../server/sampling/rss-sampler.js';
import { samplingStats } from '../server/sampling/sampling-stats.js';
import { cpuNs, fmt, median, quantile, sleep, table, type BenchResult } from './lib.js';

const REPEATS = 5;
/** Rounds of the floor and the thread's settings, back to back. */
const ROUNDS = 5;

/** Mean µs per call of fn over n calls. */
async function perCall(n: number, fn: () => unknown): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - start) * 1000) / n;
}
function perCallSync(n: number, fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - start) * 1000) / n;
}

export async function measureReadCosts(pid: number) {
  const fd = openSync(`/proc/${pid}/statm`, 'r');
  const buf = new Uint8Array(256);
  const statm = openStatm(pid);
  await pidusage(pid); // the first call spawns getconf (~10 ms): not a per-sample cost
  const runs = { raw: [] as number[], hot: [] as number[], readFile: [] as number[], pidusage: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    runs.raw.push(perCallSync(20_000, () => readSync(fd, buf, 0, buf.length, 0)));
    runs.hot.push(perCallSync(20_000, () => statm.read()));
    runs.readFile.push(perCallSync(5_000, () => readFileSync(`/proc/${pid}/statm`)));
    runs.pidusage.push(await perCall(300, () => pidusage(pid)));
  }
  closeSync(fd);
  statm.close();
  pidusage.clear();
  return { raw: median(runs.raw), hot: median(runs.hot), readFile: median(runs.readFile), pidusage: median(runs.pidusage) };
}

interface LoopResult { label: string; hz: number; gapP50: number; gapP99: number; gapMax: number; cpuPct: number; threadPct: number; cpuPerSampleUs: number }

/** CPU time (ns) of each thread of this process so far, by tid (/proc/self/task/TID/schedstat: ns, not 10 ms ticks). */
function threadCpuNs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(tid, cpuNs('self', tid));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU over ms of wall time, as % of one core: what the sampler costs the server (this whole
 * process, every thread, plus the native sampler process where there is one), and the sampling
 * loop's own share (the native process, else the busiest thread but the main one).
 */
async function cpuOver(ms: number, helpers: number[] = []): Promise<{ process: number; thread: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ns0 = threadCpuNs();
  const h0 = helpers.map((pid) => cpuNs(pid));
  await sleep(ms);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  const helperNs = helpers.reduce((sum, pid, i) => sum + cpuNs(pid) - h0[i]!, 0);
  let busiest = 0;
  for (const [tid, ns] of threadCpuNs()) if (tid !== String(process.pid)) busiest = Math.max(busiest, ns - (ns0.get(tid) ?? ns));
  return { process: ((c.user + c.system) / 1000 / wall) * 100 + (helperNs / 1e6 / wall) * 100, thread: ((helpers.length ? helperNs : busiest) / 1e6 / wall) * 100 };
}

async function measureLoop(pid: number, method: SamplerMethod, batchMs: number, seconds = 4): Promise<Omit<LoopResult, 'label'>> {
  // Kept packed until the window is over: unpacking into objects is this harness's cost, not the sampler's.
  const batches: Float64Array[] = [];
  const sampler = startRssSampler(pid, 1000, (batch) => batches.push(batch), { method, batchMs });
  await sleep(500); // thread start-up is not the steady state
  const from = batches.length;
  const cpu = await cpuOver(seconds * 1000, sampler.pid === undefined ? [] : [sampler.pid]);
  const to = batches.length;
  await sampler.stop();
  const window: Sample[] = batches.slice(from, to).flatMap((b) => unpackSamples(b));
  const cpuPct = cpu.process;
  const gaps = window.slice(1).map((s, i) => s.t - window[i]!.t);
  const stats = samplingStats(window)!;
  return { hz: stats.achievedHz, gapP50: quantile(gaps, 0.5), gapP99: stats.gapP99Ms, gapMax: quantile(gaps, 1), cpuPct, threadPct: cpu.thread, cpuPerSampleUs: (cpuPct * 10_000) / stats.achievedHz };
}

/** A bare C loop (clock_nanosleep to an absolute deadline + pread) at 1 kHz: the floor here. */
function measureCFloor(pid: number, seconds = 4): { cpuPct: number } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'memtide-floor-'));
  writeFileSync(join(dir, 'floor.c'), `#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static double secs(struct timespec t) { return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  char path[64], buf[256]; snprintf(path, sizeof path, "/proc/%s/statm", argv[1]);
  int fd = open(path, O_RDONLY), n = atoi(argv[2]);
  struct timespec next, w0, w1, c0, c1; clock_gettime(CLOCK_MONOTONIC, &next); w0 = next;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  for (int i = 0; i < n; i++) {
    next.tv_nsec += 1000000; if (next.tv_nsec >= 1000000000) { next.tv_nsec -= 1000000000; next.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, 0); pread(fd, buf, sizeof buf, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &w1); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  printf("%f\\n", 100 * (secs(c1) - secs(c0)) / (secs(w1) - secs(w0)));
  return 0;
}
`);
  const cc = spawnSync('cc', ['-O2', '-o', join(dir, 'floor'), join(dir, 'floor.c')]);
  if (cc.status !== 0) return undefined;
  const out = spawnSync(join(dir, 'floor'), [String(pid), String(seconds * 1000)], { encoding: 'utf8' });
  return out.status === 0 ? { cpuPct: Number(out.stdout.trim()) } : undefined;
}

export async function run(): Promise<BenchResult> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    const pid = child.pid!;
    const cost = await measureReadCosts(pid);
    const idle = (await cpuOver(2000)).process;
    const loops: LoopResult[] = [];
    const summarize = (label: string, rs: Omit<LoopResult, 'label'>[]): LoopResult => {
      const m = (k: keyof Omit<LoopResult, 'label'>) => median(rs.map((r) => r[k]));
      return { label, hz: m('hz'), gapP50: m('gapP50'), gapP99: m('gapP99'), gapMax: m('gapMax'), cpuPct: m('cpuPct'), threadPct: m('threadPct'), cpuPerSampleUs: m('cpuPerSampleUs') };
    };
    const timer: Omit<LoopResult, 'label'>[] = [];
    for (let i = 0; i < 3; i++) timer.push(await measureLoop(pid, 'proc-statm', BATCH_MS));
    loops.push(summarize('main-thread setInterval(1 ms) + pread', timer));
    // The thread's settings and the floor in rounds, back to back: the ratio is taken within each
    // round (the same neighbours, the same moment) and the median of the rounds' ratios reported.
    // On this shared VM the floor itself moves 1.7-3.1 % from one hour to the next. Not at the same
    // time: run beside the sampler the C loop's wakes got cheaper (1.68 % against ~2.0 % alone; a
    // core kept busy leaves its idle state less often), which is not the floor either.
    // The default way first (the native process where it was built), then the Node thread it
    // replaced, which is what runs where there is no C compiler.
    const ways: { method: SamplerMethod; name: string }[] = [
      ...(defaultMethod() === 'proc-statm-native' ? [{ method: 'proc-statm-native' as const, name: 'native process' }] : []),
      { method: 'proc-statm-thread', name: 'own thread' },
    ];
    const settings = ways.flatMap(({ method, name }) => [
      { method, label: `${name}, batches of ${BATCH_MS} ms (a dashboard watching)`, batchMs: BATCH_MS },
      { method, label: `${name}, batches of ${IDLE_BATCH_MS} ms (no one watching)`, batchMs: IDLE_BATCH_MS },
    ]);
    const byRound = settings.map(() => [] as Omit<LoopResult, 'label'>[]);
    const floors: number[] = [];
    const ratios = settings.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      const f = measureCFloor(pid);
      if (f) floors.push(f.cpuPct);
      for (const [i, setting] of settings.entries()) {
        const r = await measureLoop(pid, setting.method, setting.batchMs);
        byRound[i]!.push(r);
        if (f) ratios[i]!.push(r.cpuPct / f.cpuPct);
      }
    }
    settings.forEach((setting, i) => loops.push(summarize(setting.label, byRound[i]!)));
    const floor = floors.length ? { cpuPct: median(floors), watching: median(ratios[0]!), idle: median(ratios[1]!), threadWatching: median(ratios.at(-2)!), threadIdle: median(ratios.at(-1)!) } : undefined;
    const watching = loops[1]!;
    const idleLoop = loops[2]!;
    const way = defaultMethod() === 'proc-statm-native' ? 'the native sampler process' : 'the sampler thread';
    const hotVsRaw = cost.hot / cost.raw;
    const hotVsPidusage = cost.hot / cost.pidusage;
    return {
      title: 'Sampler: cost of one reading, and the 1 kHz loop',
      lines: [
        `One reading of a child's RSS, mean of 20 000 calls (5 000 for readFileSync, 300 for pidusage), median of ${REPEATS} rounds:`,
        '',
        ...table(['way', 'µs per reading', '× raw pread'], [
          ['raw `readSync` of statm on a kept-open fd, position 0', fmt(cost.raw), '1.00'],
          ['**sampler hot path** (`openStatm().read()`: pread + parse from bytes)', fmt(cost.hot), fmt(hotVsRaw)],
          ['`readFileSync(/proc/PID/statm)`', fmt(cost.readFile), fmt(cost.readFile / cost.raw)],
          ['`pidusage(pid)` 4.1 (after its first call)', fmt(cost.pidusage), fmt(cost.pidusage / cost.raw)],
        ]),
        '',
        `Ratios: hot path / raw pread = **${fmt(hotVsRaw, 3)}**; hot path / pidusage = **${fmt(hotVsPidusage, 4)}**.`,
        '',
        `The loop at 1000 Hz asked, watching an idle child; CPU is what the sampler costs the server: this whole process (all threads: the sampler thread and the main thread receiving its batches) plus the native sampler process where there is one, over 4 s after 0.5 s warm-up; and of it the loop itself (the native process, else the busiest thread but the main one, from /proc/…/schedstat); medians of the rounds (3 for the timer, ${ROUNDS} for the others, each round after a floor run); this process idle: ${fmt(idle)} %.`,
        '',
        ...table(['sampler', 'achieved Hz', 'gap p50 ms', 'gap p99 ms', 'gap max ms', 'CPU % of a core', 'of it, the loop', 'CPU µs per sample'], loops.map((l) => [l.label, fmt(l.hz, 1), fmt(l.gapP50, 3), fmt(l.gapP99, 3), fmt(l.gapMax, 2), fmt(l.cpuPct), l.label.startsWith('main-thread') ? '—' : fmt(l.threadPct, 1), fmt(l.cpuPerSampleUs, 1)])),
        '',
        floor
          ? `Floor: a bare C loop (clock_nanosleep to an absolute deadline + pread) at 1 kHz costs **${fmt(floor.cpuPct)} %** of a core here (its own thread CPU clock, median of ${floors.length} runs, one at the start of each round: ${floors.map((f) => fmt(f)).join(', ')}): on this VM a timed wake-up alone costs ~${fmt(floor.cpuPct * 10, 0)} µs. ${way[0]!.toUpperCase()}${way.slice(1)} / floor, round by round: a dashboard watching ${ratios[0]!.map((r) => fmt(r)).join(', ')}; no one watching ${ratios[1]!.map((r) => fmt(r)).join(', ')}.${ratios.length > 2 ? ` The Node thread (where there is no C compiler): ${fmt(floor.threadWatching)} × watching, ${fmt(floor.threadIdle)} × not (medians).` : ''}`
          : 'Floor: no C compiler here, the bare-C comparison was skipped.',
      ],
      targets: [
        { name: 'sampling rate at 1 kHz asked (idle child)', target: '1000 Hz (≥ 980)', measured: `${fmt(watching.hz, 1)} Hz`, met: watching.hz >= 980, note: way },
        { name: 'timestamp regularity at 1 kHz (idle child)', target: 'gap p99 ≤ 2 ms', measured: `${fmt(watching.gapP99, 3)} ms`, met: watching.gapP99 <= 2, note: way },
        ...(floor
          ? [
            {
              name: 'sampler CPU at 1 kHz, no one watching', target: '≤ 2 × the bare C floor', measured: `${fmt(floor.idle)} × (median of ${ROUNDS} rounds' ratios; ${fmt(idleLoop.cpuPct)} % against ${fmt(floor.cpuPct)} %)`,
              met: floor.idle <= 2, note: way,
            },
            {
              name: 'sampler CPU at 1 kHz, a dashboard watching', target: '≤ 2 × the bare C floor', measured: `${fmt(floor.watching)} × (median of ${ROUNDS} rounds' ratios; ${fmt(watching.cpuPct)} % against ${fmt(floor.cpuPct)} %)`,
              met: floor.watching <= 2, note: `${way}; batches every ${BATCH_MS} ms for the latency targets`,
            },
          ]
          : []),
        { name: 'per-sample cost vs raw pread', target: '≤ 1.5 ×', measured: `${fmt(hotVsRaw, 3)} ×`, met: hotVsRaw <= 1.5 },
        { name: 'per-sample cost vs pidusage', target: '≤ 0.02 ×', measured: `${fmt(hotVsPidusage, 4)} ×`, met: hotVsPidusage <= 0.02 },
      ],
    };
  } finally {
    child.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines, '', ...result.targets.map((t) => `- ${t.met ? 'MET' : 'NOT MET'} ${t.name}: ${t.measured} (${t.target})${t.note ? ` — ${t.note}` : ''}`)].join('\n'));
}

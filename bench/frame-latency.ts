// Latency from a sample's acquisition in the server to the end of the animation frame that first
// draws it in the real dashboard in Chromium (measured in the page, inside requestAnimationFrame).
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/browser.js';
import { cpuNs, fmt, median, postRun, quantile, sleep, startServerProcess, table, waitRunEnd, type BenchResult, type ChartProbe } from './lib.js';

const EXPERIMENT = { experiment: 'seed-strings', params: { n: 10_000_000 } };

/**
 * The renderer main threads' CPU time (ms) so far, from /proc (Linux): no tracing, which itself
 * loaded the machine (Chromium writing the trace, the driver reading it) and added to the tail it
 * was there to explain. The renderers come from the DevTools protocol (SystemInfo.getProcessInfo);
 * a renderer's main thread is the thread whose id is the process id.
 */
async function rendererMainCpuMs(browser: Browser): Promise<number | undefined> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    let ns = 0;
    for (const p of processInfo.filter((p) => p.type === 'renderer')) {
      ns += cpuNs(p.id, p.id);
    }
    return ns / 1e6;
  } catch {
    return undefined; // not Linux, or the protocol does not say
  } finally {
    await cdp.detach();
  }
}

export async function measureFrameLatency(runs = 2): Promise<{ p50: number; p99: number; max: number; samples: number; offset: number; longTasks: number; longestTask: number; cpuMsPerS: number }> {
  const server = await startServerProcess({ MEMTIDE_SAMPLE_HZ: '1000' });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // Long tasks on the page's main thread (≥ 50 ms): where a tail would come from.
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: { start: number; ms: number }[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, ms: e.duration });
      }).observe({ type: 'longtask' });
    });
    await page.goto(`${server.url}/?probe`);
    await page.waitForSelector('#connection[data-state="open"]');
    await page.waitForFunction(() => 'memtideChart' in window); // the chart loads after the first screen
    // Server clock minus the page's, from the ping with the shortest round trip.
    const offset = await page.evaluate(async () => {
      const clock = () => performance.timeOrigin + performance.now();
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise((r) => (ws.onopen = r));
      let best = { rtt: Infinity, offset: 0 };
      for (let i = 0; i < 20; i++) {
        const t = clock();
        const serverT = await new Promise<number>((resolve) => {
          ws.onmessage = (e) => {
            const m = JSON.parse(String(e.data)) as { type: string; t: number; serverT: number };
            if (m.type === 'pong' && m.t === t) resolve(m.serverT);
          };
          ws.send(JSON.stringify({ type: 'ping', t }));
        });
        const back = clock();
        if (back - t < best.rtt) best = { rtt: back - t, offset: serverT - (t + back) / 2 };
      }
      ws.close();
      return best.offset;
    });
    await sleep(300); // let the page show the stored run first
    const measuredFrom = await page.evaluate(() => performance.now());
    await page.evaluate((offset) => {
      const w = window as unknown as { memtideChart: ChartProbe; latencies: number[] };
      const from = performance.timeOrigin + performance.now() + offset;
      w.latencies = [];
      w.memtideChart.probe = (times) => {
        const drawn = performance.timeOrigin + performance.now() + offset;
        for (const t of times) if (t > from) w.latencies.push(drawn - t);
      };
    }, offset);
    // The page's main-thread CPU while the runs stream, on its own thread clock: unlike wall time it
    // does not grow when other processes take the cores, so it compares across loads.
    const cpuBefore = await rendererMainCpuMs(browser);
    const streamStart = Date.now();
    for (let r = 0; r < runs; r++) {
      const id = await postRun(server.url, EXPERIMENT);
      await waitRunEnd(server.url, id);
      await sleep(100);
    }
    const streamedS = (Date.now() - streamStart) / 1000;
    const cpuAfter = await rendererMainCpuMs(browser);
    const cpuMsPerS = cpuBefore === undefined || cpuAfter === undefined ? NaN : (cpuAfter - cpuBefore) / streamedS;
    const latencies = await page.evaluate(() => (window as unknown as { latencies: number[] }).latencies);
    const longTasks = (await page.evaluate(() => (window as unknown as { longTasks: { start: number; ms: number }[] }).longTasks)).filter((t) => t.start >= measuredFrom);
    await page.close();
    return {
      p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1), samples: latencies.length, offset,
      longTasks: longTasks.length, longestTask: Math.max(0, ...longTasks.map((t) => t.ms)),
      cpuMsPerS,
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

const ROUNDS = 5;

export async function run(): Promise<BenchResult> {
  const rounds: Awaited<ReturnType<typeof measureFrameLatency>>[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await measureFrameLatency());
  const p50 = median(rounds.map((r) => r.p50));
  const p99 = median(rounds.map((r) => r.p99));
  const worst = Math.max(...rounds.map((r) => r.p99));
  return {
    title: `Sample → drawn frame latency in Chromium (dashboard, 1 kHz, seed-strings n=10⁷; ${ROUNDS} rounds of 2 runs, each with a fresh server and browser)`,
    lines: [
      ...table(['round', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'clock offset ms', 'long tasks (≥ 50 ms)', 'longest task ms', 'main-thread CPU ms/s'],
        rounds.map((r, i) => [i + 1, fmt(r.p50), fmt(r.p99), fmt(r.max), r.samples, fmt(r.offset, 3), r.longTasks, fmt(r.longestTask, 0), fmt(r.cpuMsPerS, 0)])),
      '',
      `Median of the rounds: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms; worst round p99 ${fmt(worst)} ms. Latency is taken at the end of the requestAnimationFrame callback that drew the sample; the clock offset (server − page, from the fastest of 20 pings) is already applied. Long tasks: the page's main-thread tasks of 50 ms or more while the runs streamed (PerformanceObserver 'longtask'), in wall time. Main-thread CPU: the renderer main thread's CPU time (/proc/PID/task/PID/schedstat, the renderers named by the DevTools protocol) per second of streaming: what the page itself costs, whatever else runs on the machine. Nothing traces the page while it is timed: a trace loaded the machine itself and lengthened the tail it was there to explain (p99 60 ms traced against 35-41 ms untraced, same code, 2026-12-07).`,
    ],
    targets: [
      { name: 'sample → frame latency p99 (Chromium), median of rounds', target: '≤ 50 ms', measured: `${fmt(p99)} ms (median of ${ROUNDS} rounds)`, met: p99 <= 50 },
      { name: 'sample → frame latency p99 (Chromium), every round', target: '≤ 50 ms in each of 5 rounds', measured: `worst round ${fmt(worst)} ms`, met: worst <= 50 },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

// Chart frame rate in Chromium while streaming 1 kHz into a chart already holding 200 000 points:
// the real dashboard page (?probe), fed synthetic samples in-page so only the chart is measured.
import { startApp } from '../server/app.js';
import { launchChromium } from '../test/browser.js';
import { fmt, median, table, type BenchResult, type ChartProbe } from './lib.js';

export interface FpsResult { points: number; fps: number; frameP95: number; drawMedian: number; drawP95: number }

export async function measureChartFps(pointsHeld = [50_000, 200_000], seconds = 5): Promise<FpsResult[]> {
  const app = await startApp({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  const out: FpsResult[] = [];
  try {
    for (const points of pointsHeld) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${app.url}/?probe`);
      await page.waitForFunction(() => 'memtideChart' in window);
      const r = await page.evaluate(async ({ points, seconds }) => {
        const chart = (window as unknown as { memtideChart: ChartProbe }).memtideChart;
        const clock = () => performance.timeOrigin + performance.now();
        const MiB = 1024 * 1024;
        const rss = (t: number) => (60 + 40 * Math.sin(t / 3000) + (t % 997) / 100) * MiB;
        const t0 = clock() - points; // points already held, 1 ms apart, ending now
        chart.reset(t0, 'chart-fps bench');
        for (let i = 0; i < points; i += 10_000) {
          const batch = [];
          for (let k = i; k < Math.min(points, i + 10_000); k++) batch.push({ t: t0 + k, rss: rss(t0 + k) });
          chart.addSamples(batch);
        }
        const draws: number[] = [];
        chart.probe = (_t, ms) => draws.push(ms);
        let next = t0 + points;
        const feed = setInterval(() => {
          const batch = [];
          for (const end = clock(); next < end; next++) batch.push({ t: next, rss: rss(next) });
          chart.addSamples(batch);
        }, 5);
        const frames: number[] = [];
        await new Promise<void>((done) => {
          const tick = (ts: number) => {
            frames.push(ts);
            if (ts - frames[0]! < seconds * 1000) requestAnimationFrame(tick);
            else done();
          };
          requestAnimationFrame(tick);
        });
        clearInterval(feed);
        chart.probe = undefined;
        const gaps = frames.slice(1).map((f, i) => f - frames[i]!).sort((a, b) => a - b);
        return { fps: (frames.length - 1) / ((frames.at(-1)! - frames[0]!) / 1000), frameP95: gaps[Math.floor(gaps.length * 0.95)]!, draws };
      }, { points, seconds });
      const draws = [...r.draws].sort((a, b) => a - b);
      out.push({ points, fps: r.fps, frameP95: r.frameP95, drawMedian: median(draws), drawP95: draws[Math.floor(draws.length * 0.95)]! });
      await page.close();
    }
  } finally {
    await browser.close();
    await app.close();
  }
  return out;
}

export async function run(): Promise<BenchResult> {
  const rows = await measureChartFps();
  const at200k = rows.find((r) => r.points === 200_000)!;
  return {
    title: 'Chart frame rate in headless Chromium (1400×900 page, streaming 1 kHz, 5 s)',
    lines: table(['points held', 'fps', 'frame p95 ms', 'draw median ms', 'draw p95 ms'], rows.map((r) => [r.points.toLocaleString('en'), fmt(r.fps, 1), fmt(r.frameP95, 1), fmt(r.drawMedian), fmt(r.drawP95)])),
    targets: [{ name: 'chart fps at 1 kHz with 200k points', target: '≥ 50 fps', measured: `${fmt(at200k.fps, 1)} fps`, met: at200k.fps >= 50 }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines].join('\n'));
}

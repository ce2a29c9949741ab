// Issue 13's targets in Chromium against the 10 000-run store (bench/history.ts benchStore): the
// experiment cards and the first page of the history on screen after a cold navigation, and the
// first draw of a 120 s run opened from the page (?probe: the chart says when it draws).
import { RunStore } from '../server/storage/run-store.js';
import { launchChromium } from '../test/browser.js';
import { benchStore } from './history.js';
import { startTimed } from './history-server.js';
import { fmt, median, table, type BenchResult, type ChartProbe } from './lib.js';

export async function run(): Promise<BenchResult> {
  const dir = benchStore();
  const store = new RunStore(dir, { readonly: true });
  const longIds = store.db.prepare('SELECT id FROM runs WHERE sample_count >= 120000 ORDER BY created_at DESC').pluck().all() as string[];
  store.close();
  const server = await startTimed(dir);
  const browser = await launchChromium();
  const firstPage: number[] = [];
  const opens: { id: string; firstDraw: number; fetchMs: number }[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript(() => {
        new MutationObserver((_m, observer) => {
          if (!document.querySelector('article.card') || !document.querySelector('.history-table tbody tr')) return;
          observer.disconnect();
          requestAnimationFrame(() => ((window as unknown as { shownAt: number }).shownAt = performance.now()));
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { shownAt?: number }).shownAt !== undefined, undefined, { timeout: 30_000 });
      firstPage.push(await page.evaluate(() => (window as unknown as { shownAt: number }).shownAt));
      await context.close();
    }
    for (const id of longIds.slice(80, 85)) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/?probe`);
      await page.waitForSelector('.history-table tbody tr');
      await page.waitForFunction(() => 'memtideChart' in window);
      const result = await page.evaluate((runId) => new Promise<{ firstDraw: number; fetchMs: number }>((resolve) => {
        const chart = (window as unknown as { memtideChart: ChartProbe }).memtideChart;
        const t0 = performance.now();
        chart.probe = (times) => {
          if (times.length < 100_000) return;
          const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/api/runs/${runId}`)) as PerformanceResourceTiming | undefined;
          resolve({ firstDraw: performance.now() - t0, fetchMs: entry ? entry.responseEnd - entry.startTime : NaN });
        };
        location.hash = `#/runs/${runId}`;
      }), id);
      opens.push({ id, ...result });
      await context.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const shown = median(firstPage);
  const draw = median(opens.map((o) => o.firstDraw));
  return {
    title: 'History at scale in Chromium (10 000 runs; cold browser context per load)',
    lines: [
      ...table(['load', 'cards + first history page on screen, ms after navigation'], firstPage.map((ms, i) => [i + 1, fmt(ms, 0)])),
      '',
      ...table(['120 s run opened (#/runs/<id>)', 'first draw, ms', 'of it the GET (request → last byte), ms'], opens.map((o) => [o.id, fmt(o.firstDraw, 0), fmt(o.fetchMs, 0)])),
    ],
    targets: [
      { name: 'experiment cards and the first history page on screen (10 000 runs, median of 5 cold loads)', target: '≤ 500 ms', measured: `${fmt(shown, 0)} ms`, met: shown <= 500 },
      { name: 'open a 120 s run: first draw (median of 5 runs)', target: '≤ 300 ms', measured: `${fmt(draw, 0)} ms`, met: draw <= 300 },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log([`## ${result.title}`, ...result.lines, '', ...result.targets.map((t) => `- ${t.met ? 'MET' : 'NOT MET'} ${t.name}: ${t.measured} (target ${t.target})`)].join('\n'));
}

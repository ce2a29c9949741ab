// temporary: where the late samples are (not committed)
import { launchChromium } from '../test/browser.js';
import { postRun, sleep, startServerProcess, waitRunEnd, type ChartProbe } from './lib.js';
const server = await startServerProcess({ MEMTIDE_SAMPLE_HZ: '1000' });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.addInitScript(() => {
  const w = window as unknown as { msgs: [string, number, number][] };
  w.msgs = [];
  const Orig = WebSocket;
  (window as unknown as { WebSocket: unknown }).WebSocket = class extends Orig {
    constructor(url: string | URL, p?: string | string[]) {
      super(url, p);
      this.addEventListener('message', (e) => {
        const at = performance.timeOrigin + performance.now();
        const text = String(e.data);
        const type = /"type":"([^"]+)"/.exec(text)?.[1] ?? '?';
        const t = Number(/"t":([0-9.]+)/.exec(text)?.[1] ?? 0);
        w.msgs.push([type, at, t]);
        if (type === 'run-started') {
          const clock = () => performance.timeOrigin + performance.now();
          setTimeout(() => w.msgs.push(['timeout0', clock(), 0]), 0);
          requestAnimationFrame(() => { w.msgs.push(['raf', clock(), 0]); requestAnimationFrame(() => w.msgs.push(['raf2', clock(), 0])); });
          let k = 0;
          const tick = () => { w.msgs.push(['tick', clock(), 0]); if (++k < 12) setTimeout(tick, 5); };
          setTimeout(tick, 5);
        }
      });
    }
  };
});
await page.goto(`${server.url}/?probe`);
await page.waitForSelector('#connection[data-state="open"]');
await page.waitForFunction(() => 'memtideChart' in window);
await sleep(300);
await page.evaluate(() => {
  const w = window as unknown as { memtideChart: ChartProbe; lat: [number, number, number][]; recv: [number, number][] };
  w.lat = [];
  w.memtideChart.probe = (times, drawMs) => {
    const drawn = performance.timeOrigin + performance.now();
    for (const t of times) w.lat.push([t, drawn - t, drawMs]);
  };
});
await page.evaluate(() => {
  const w = window as unknown as { memtideChart: { chart: { constructor: { prototype: { update(mode?: string): void } } } }; msgs: [string, number, number][] };
  const proto = w.memtideChart.chart.constructor.prototype;
  const orig = proto.update;
  proto.update = function (this: { canvas: HTMLCanvasElement }, mode?: string) {
    const a = performance.now();
    orig.call(this, mode);
    const b = performance.now();
    w.msgs.push([`update:${this.canvas.id || this.canvas.className || 'c'}:${(b - a).toFixed(1)}`, performance.timeOrigin + a, 0]);
  };
});
const starts: number[] = [];
for (let r = 0; r < 3; r++) {
  const id = await postRun(server.url, { experiment: 'seed-strings', params: { n: 10_000_000 } });
  const rec = await waitRunEnd(server.url, id);
  starts.push(rec.samples[0]!.t);
  await sleep(100);
}
const lat = await page.evaluate(() => (window as unknown as { lat: [number, number, number][] }).lat);
const sorted = lat.map((l) => l[1]).sort((a, b) => a - b);
console.log('n', lat.length, 'p50', sorted[sorted.length >> 1]!.toFixed(1), 'p99', sorted[Math.floor(sorted.length * 0.99)]!.toFixed(1));
const late = lat.filter((l) => l[1] > 40);
const byStart = late.map(([t, l, d]) => { const s = starts.filter((s) => s <= t + 1).at(-1) ?? 0; return `${(t - s).toFixed(0)}ms:${l.toFixed(0)}(draw ${d.toFixed(1)})`; });
console.log('late (>40ms), by time since run start:', byStart.filter((_, i) => i % 5 === 0).join(' '));
const msgs = await page.evaluate(() => (window as unknown as { msgs: [string, number, number][] }).msgs);
for (const s0 of starts) {
  const near = msgs.filter(([, at]) => at >= s0 - 100 && at <= s0 + 120);
  console.log('run start', near.map(([type, at, t]) => `${type}@${(at - s0).toFixed(0)}${t ? `(t${(t - s0).toFixed(0)})` : ''}`).join(' '));
  const draws = lat.filter(([t]) => t >= s0 && t < s0 + 60).map(([t, l]) => `${(t - s0).toFixed(0)}→${(t + l - s0).toFixed(0)}`);
  console.log('  draws', draws.filter((_, i) => i % 5 === 0).join(' '));
}
// around the late samples that are not at a run's start
const lateMid = lat.filter(([t, l]) => l > 40 && !starts.some((s0) => t >= s0 && t < s0 + 100));
const seen = new Set<number>();
for (const [t, l] of lateMid) {
  const key = Math.round(t / 100);
  if (seen.has(key)) continue;
  seen.add(key);
  const near = msgs.filter(([type, at]) => at >= t - 40 && at <= t + l + 10 && type !== 'tick');
  console.log(`late ${l.toFixed(0)} at t=${(t - (starts.filter((s0) => s0 <= t).at(-1) ?? 0)).toFixed(0)}:`, near.map(([type, at, tt]) => `${type}@${(at - t).toFixed(0)}${tt ? `(t${(tt - t).toFixed(0)})` : ''}`).join(' '));
}
await browser.close();
await server.stop();

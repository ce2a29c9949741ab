// temporary: what the page does at a run's start (not committed)
import { writeFileSync } from 'node:fs';
import { launchChromium } from '../test/browser.js';
import { postRun, sleep, startServerProcess, waitRunEnd } from './lib.js';
const server = await startServerProcess({ MEMTIDE_SAMPLE_HZ: '1000' });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`${server.url}/?probe`);
await page.waitForSelector('#connection[data-state="open"]');
await page.waitForFunction(() => 'memtideChart' in window);
// one run first (the page then shows a finished run, as in the bench's second run)
await waitRunEnd(server.url, await postRun(server.url, { experiment: 'seed-strings', params: { n: 10_000_000 } }));
await sleep(500);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const id = await postRun(server.url, { experiment: 'seed-strings', params: { n: 10_000_000 } });
await sleep(400);
const { profile } = await cdp.send('Profiler.stop') as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]; samples: number[]; timeDeltas: number[]; startTime: number } };
await waitRunEnd(server.url, id);
writeFileSync('/tmp/prof/start.cpuprofile', JSON.stringify(profile));
// self time by function over the first 400 ms
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
profile.samples.forEach((sid, i) => {
  const n = byId.get(sid)!;
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${v.toFixed(1)}ms ${k}`).join('\n'));
await browser.close();
await server.stop();

// temporary: at a run's start, is the page working or waiting for a core? (not committed)
import { readdirSync, readFileSync } from 'node:fs';
import { launchChromium } from '../test/browser.js';
import { postRun, sleep, startServerProcess, waitRunEnd } from './lib.js';
const server = await startServerProcess({ MEMTIDE_SAMPLE_HZ: '1000' });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`${server.url}/?probe`);
await page.waitForSelector('#connection[data-state="open"]');
await page.waitForFunction(() => 'memtideChart' in window);
const cdp = await browser.newBrowserCDPSession();
const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
console.log(processInfo.map((p) => `${p.type}:${p.id}`).join(' '));
const renderer = processInfo.find((p) => p.type === 'renderer')!.id;
const all = processInfo.map((p) => p.id);
const ss = (path: string) => { try { const [cpu, wait] = readFileSync(path, 'utf8').split(' ').map(Number); return [cpu! / 1e6, wait! / 1e6]; } catch { return [0, 0]; } };
const sum = (pids: number[], mainOnly: boolean) => {
  let c = 0, w = 0;
  for (const pid of pids) for (const tid of mainOnly ? [String(pid)] : readdirSync(`/proc/${pid}/task`)) { const [a, b] = ss(`/proc/${pid}/task/${tid}/schedstat`); c += a!; w += b!; }
  return [c, w];
};
for (let r = 0; r < 4; r++) {
  await sleep(400);
  const rows: string[] = [];
  const extra: { type: string; id: number }[] = [];
  const procs = () => [...processInfo.filter((p) => p.type !== 'storage.mojom.StorageService'), ...extra];
  const statLine = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  let sys0 = statLine();
  let prevMap = new Map(procs().map((p) => [p.id, sum([p.id], false)]));
  const t0 = performance.now();
  const timer = setInterval(() => {
    const curMap = new Map(procs().map((p) => [p.id, sum([p.id], false)]));
    const sys = statLine();
    const d = sys.map((v, i) => (v - sys0[i]!) * 10); // jiffies (10 ms) → ms
    sys0 = sys;
    rows.push(`${(performance.now() - t0).toFixed(0)}: ` + procs().map((p) => { const c = curMap.get(p.id)!; const q = prevMap.get(p.id) ?? c; return `${p.type.slice(0, 5)} ${(c[0]! - q[0]!).toFixed(1)}/${(c[1]! - q[1]!).toFixed(1)}`; }).join(' | ') + ` || idle ${d[3]} steal ${d[7]}`);
    prevMap = curMap;
  }, 10);
  const id = await postRun(server.url, { experiment: 'seed-strings', params: { n: 10_000_000 } });
  const info = (await (await fetch(`${server.url}/api/runs?limit=1`)).json()) as { runs: { pid?: number }[] };
  extra.splice(0, extra.length, { type: 'server', id: server.child.pid! }, { type: 'worker', id: info.runs[0]!.pid! }, { type: 'bench', id: process.pid });
  await sleep(150);
  clearInterval(timer);
  console.log(`run ${r}\n  ` + rows.join('\n  '));
  await waitRunEnd(server.url, id);
}
await browser.close();
await server.stop();

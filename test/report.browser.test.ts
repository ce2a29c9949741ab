// The self-contained report: `memtide report` writes one HTML file that Chromium opens from disk
// (file://) with no server — chart, tables, verdict, settings, comparison, replay — with zero
// console errors and zero CSP violations; run data in it stays text; a 10 s run at 1 kHz fits in
// 1.5 MB. The dashboard's "Export report" gives the same file.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { buildReport } from '../server/report.js';
import { RunStore } from '../server/storage/run-store.js';
import { RunRecord } from '../shared/run-record.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { connectRecorder, isRunEnd, postJson, startTestServer, tempDataDir } from './helpers.js';

const hasBrowser = chromiumAvailable();
const dataDir = tempDataDir();
const outDir = tempDataDir();
let app: RunningApp;
let browser: Browser;
const ids: string[] = [];

beforeAll(async () => {
  if (!hasBrowser) return;
  app = await startTestServer({ dataDir });
  const ws = await connectRecorder(app.url);
  for (const body of [{ experiment: 'seed-strings', params: { n: 2_000_000 } }, { experiment: 'small-buffers', params: { n: 20_000 }, knobs: { trim: true } }]) {
    const { json } = await postJson(`${app.url}/api/runs`, body);
    await ws.waitFor(isRunEnd(json.id));
    ids.push(json.id);
  }
  ws.close();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const memtide = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/memtide.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dataDir } });

/** Opens a report from disk, recording errors and CSP violations from its first script on. */
async function openReport(file: string): Promise<{ page: Page; errors: string[]; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const requests: string[] = [];
  page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && !r.url().startsWith('blob:') && requests.push(r.url()));
  const violations = await watchCsp(page);
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#connection[data-state="file"]');
  expect(requests).toEqual([]); // nothing from any network
  return { page, errors, violations };
}

/** A record stretched to 10 s at 1 kHz, with timestamps and sizes as the sampler writes them. */
function tenSecondsAt1kHz(record: RunRecord): RunRecord {
  const t0 = record.createdAt;
  const samples = Array.from({ length: 10_000 }, (_, i) => ({ t: t0 + i + 0.123456 + (i % 7) * 0.01, rss: (40_000 + Math.round(20_000 * Math.sin(i / 900))) * 4096 }));
  const heap = Array.from({ length: 200 }, (_, i) => ({ t: t0 + i * 50 + 0.654321, heapUsed: 4_000_000 + i * 1234, heapTotal: 8_000_000 + i * 999, external: 1_500_000, arrayBuffers: 10_476, phase: 'allocate' as const }));
  const names = ['baseline', 'allocate', 'unreference', 'collect', 'settle'] as const;
  const phases = names.map((name, i) => ({ name, start: t0 + 5 + i * 1990, end: t0 + 5 + i * 1990 + 1980 }));
  return { ...record, samples, heap, phases, breakdowns: record.breakdowns.map((b, i) => ({ ...b, t: phases[i]?.end ?? b.t })), endedAt: t0 + 10_000 };
}

describe.skipIf(!hasBrowser)('the report', () => {
  it('memtide report writes one file that opens from disk: title, settings, chart, table, verdict; no errors, no CSP violations', async () => {
    const out = join(outDir, 'one.html');
    const r = memtide('report', ids[1]!, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*one\.html \(\d+ KiB\)/);
    const { page, errors, violations } = await openReport(out);
    await page.waitForSelector('table[aria-label="Summary"]');
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/^N small Buffers .*\(n=20,000\) · node v\d+/);
    await expect(page.locator('#run-title .settings').textContent()).resolves.toMatch(/malloc_trim\(0\) phase/);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^finished · .* RSS samples \(.*1000 Hz asked/);
    await expect(page.locator('.verdict').getAttribute('data-verdict')).resolves.toMatch(/released|retained by allocator|still referenced|inconclusive/);
    await expect(page.locator('.verdict').textContent()).resolves.toMatch(/ — \S/); // the why
    await expect(page.locator('#phases li').count()).resolves.toBe(6);
    // The chart is drawn, with its tooltip.
    const box = (await page.locator('#chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForSelector('.chart-tooltip:not([hidden])');
    await expect(page.locator('.chart-tooltip div').first().textContent()).resolves.toMatch(/^RSS \(sampled from outside\): \d+\.\d MiB$/);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('compares several runs, replays at 16× through the live path, and exports from disk', async () => {
    const out = join(outDir, 'two.html');
    expect(memtide('report', ...ids, '-o', out).status).toBe(0);
    const { page, errors, violations } = await openReport(out);
    await page.waitForSelector('table[aria-label="Comparison"]');
    await expect(page.locator('#compare-legend li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.runId))).resolves.toEqual(ids);
    await page.waitForSelector('table[aria-label="Summary"]');
    const samplesText = await page.locator('#status').textContent();
    // Every status line the replay shows (at 16× a 2 s run is over in ~130 ms: too quick to poll).
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      const status = document.getElementById('status')!;
      new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await page.click('button[data-replay="16"]');
    await expect.poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen.at(-1))).toBe(samplesText); // the same run, sample for sample
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    // It says it is a replay, not a run (the stored run is not running again)…
    expect(seen[0]).toMatch(/^replaying at 16× \(stored run\) · phase starting · 0\.0 s$/);
    // …then the phases as they came (one timer tick per frame: at 16× a tick covers ~250 ms of the run).
    expect(new Set(seen.filter((line) => line.startsWith('replaying at 16× (stored run) · phase ')).map((line) => line.split(' · ')[1])).size).toBeGreaterThanOrEqual(2);
    await page.waitForSelector('table[aria-label="Summary"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    expect(RunRecord.parse(JSON.parse(readFileSync((await download.path())!, 'utf8'))).id).toBe(ids[0]);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('keeps run data as text: </script> and <img onerror> in a crafted run stay text', async () => {
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${ids[0]}`)).json());
    const evil = '</script><img src=x onerror="window.pwned=1"><script>window.pwned=2</script><!--';
    const crafted: RunRecord = { ...record, id: 'evil-2', experiment: evil, runtimeVersion: evil, error: evil, status: 'failed', summary: null, params: { [evil]: 7 } };
    const out = join(outDir, 'evil.html');
    writeFileSync(out, buildReport([crafted]));
    const { page, errors, violations } = await openReport(out);
    await expect.poll(() => page.locator('#run-title').textContent()).toContain(evil);
    await expect(page.locator('#summary .failure').textContent()).resolves.toContain(evil);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('shows what the verdict reads, as the dashboard does: bars by owner, plain legend, release wait, remedies as text (a report starts no runs)', async () => {
    const fixture = (name: string) => RunRecord.parse(JSON.parse(readFileSync(join('test', 'fixtures', `${name}.json`), 'utf8')));
    const jemalloc = fixture('py-medium-bytes-jemalloc-50k');
    const node = fixture('small-buffers-20k');
    const out = join(outDir, 'verdict.html');
    writeFileSync(out, buildReport([jemalloc, node]));
    const { page, errors, violations } = await openReport(out);
    await page.evaluate((id) => (location.hash = `#/runs/${id}`), jemalloc.id);
    await page.waitForSelector('.verdict[data-verdict="retained by allocator"]');
    await expect(page.locator('#breakdown-mode button[aria-pressed="true"]').textContent()).resolves.toBe('by owner');
    await page.click('details.chart-data > summary');
    const settle = page.locator('table[aria-label="Bars by owner, by phase end"] tr[data-phase="settle"]');
    await expect(settle.locator('td[data-part="jemallocDirty"]').textContent()).resolves.toBe('+41.6 MiB');
    await expect(settle.locator('td[data-part="jemallocMetadata"]').textContent()).resolves.toBe('+0.1 MiB');
    await expect(page.locator('#chart-legend li').allTextContents()).resolves.not.toContainEqual(expect.stringMatching(/verdict reads/));
    // Remedies name their change and what they should return; no button where no run can start.
    await expect(page.locator('button.remedy').count()).resolves.toBe(0);
    await expect(page.locator('.remedies .remedy-change').allTextContents()).resolves
      .toEqual(['dirty_decay_ms 0 (≈ 41.6 MiB back): ', 'background_thread on · settle 31.0 s (≈ 41.6 MiB back): ', 'trim phase on (≈ 41.6 MiB back): ']);
    await page.screenshot({ path: 'test-results/report-verdict-jemalloc.png', fullPage: true });

    await page.evaluate((id) => (location.hash = `#/runs/${id}`), node.id);
    await page.waitForSelector('tr[data-row="Collect"] .release-wait');
    await expect(page.locator('tr[data-row="Collect"] td').first().textContent()).resolves.toBe('Collect · waited 55 ms for the runtime to free');
    await expect(page.locator('#chart-legend li').allTextContents()).resolves.toEqual(expect.arrayContaining(['runtime heap: V8 heapUsed + arrayBuffers', "baseline RSS + live (the verdict's live share, at phase ends)"]));
    // The tooltip in settle says what the verdict read there: the same figure as the summary's table.
    await page.locator('#chart').scrollIntoViewIfNeeded();
    const box = (await page.locator('#chart').boundingBox())!;
    const tooltipLines = async (fraction: number) => {
      await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
      await page.waitForSelector('.chart-tooltip:not([hidden])');
      return page.locator('.chart-tooltip div').allTextContents();
    };
    let settleLine: string | undefined;
    for (let f = 0.95; f > 0.3 && !settleLine; f -= 0.02) settleLine = (await tooltipLines(f)).find((l) => l.startsWith("live at settle's end"));
    expect(settleLine).toBe("live at settle's end (the verdict's share): +0.3 MiB above baseline");
    await page.screenshot({ path: 'test-results/report-verdict-node.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('a 10 s run at 1 kHz makes a report of at most 1.5 MB that opens with all its samples', async () => {
    const record = tenSecondsAt1kHz(new RunStore(dataDir).load(ids[0]!)!);
    const out = join(outDir, 'ten-seconds.html');
    writeFileSync(out, buildReport([record]));
    const bytes = statSync(out).size;
    expect(bytes).toBeLessThanOrEqual(1.5e6);
    const { page, errors, violations } = await openReport(out);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/10,000 RSS samples/);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  it('the dashboard exports the same report for the run on screen', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${app.url}/#/runs/${ids[0]}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-report')]);
    const html = readFileSync((await download.path())!, 'utf8');
    await page.close();
    expect(html).toContain('<meta http-equiv="Content-Security-Policy"');
    const copy = join(outDir, 'from-dashboard.html');
    writeFileSync(copy, html);
    const { page: report, errors, violations } = await openReport(copy);
    await report.waitForSelector('table[aria-label="Summary"]');
    await expect(report.locator('#run-title').textContent()).resolves.toMatch(/n=2,000,000/);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await report.close();
  });

  it('refuses an unknown run and a missing -o, naming them', () => {
    const unknown = memtide('report', 'nope-1', '-o', join(outDir, 'x.html'));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/run-id nope-1: no such run/);
    const noOut = memtide('report', ids[0]!);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/-o <out\.html> is required/);
  });
});

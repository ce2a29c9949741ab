// History in a real browser: open by link, overlay two runs, export JSON/CSV/PNG, import, delete.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { RUN_COLORS } from '../client/src/views/chart-theme.js';
import { chromiumAvailable, launchChromium, pixelsOf, watchCsp } from './browser.js';
import { connectRecorder, postJson, startTestServer } from './helpers.js';

const hasBrowser = chromiumAvailable();
let app: RunningApp;
let browser: Browser;
const ids: string[] = [];

async function runToEnd(body: unknown): Promise<string> {
  const ws = await connectRecorder(app.url);
  const { json } = await postJson(`${app.url}/api/runs`, body);
  await ws.waitFor((m): m is ServerMessage => m.type === 'run-finished' && m.runId === json.id);
  ws.close();
  return json.id;
}

beforeAll(async () => {
  if (!hasBrowser) return;
  app = await startTestServer();
  ids.push(await runToEnd({ experiment: 'seed-strings', params: { n: 2_000_000 } }));
  ids.push(await runToEnd({ experiment: 'big-buffers', params: { n: 64 } }));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

let cspViolations: () => Promise<string[]>;

async function openDashboard(hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  cspViolations = await watchCsp(page);
  await page.goto(`${app.url}/${hash}`);
  await page.waitForSelector('#connection[data-state="open"]');
  return page;
}

describe.skipIf(!hasBrowser)('history in Chromium', () => {
  it('/#/runs/<id> opens that run with its table', async () => {
    const page = await openDashboard(`#/runs/${ids[0]}`);
    await page.waitForSelector(`tr[data-run-id="${ids[0]}"][data-current="true"]`);
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/n=2,000,000/);
    await page.waitForSelector('table[aria-label="Summary"]');
    await page.close();
  });

  it('overlays two selected runs on one chart, each in its colour, with tables side by side', async () => {
    const page = await openDashboard();
    for (const id of ids) await page.locator(`tr[data-run-id="${id}"] input[type="checkbox"]`).check();
    await page.click('#compare-selected');
    await page.waitForSelector('table[aria-label="Comparison"]');
    await page.waitForTimeout(100);
    // Both lines (and their legend swatches) are drawn: the first run's blue and the second's orange.
    expect(await pixelsOf(page, '#compare-chart', RUN_COLORS[0]!)).toBeGreaterThan(150);
    expect(await pixelsOf(page, '#compare-chart', RUN_COLORS[1]!)).toBeGreaterThan(150);
    const legend = await page.locator('#compare-legend li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.runId));
    expect(legend).toEqual(ids);
    // Columns are headed by experiment, params and knobs (the id is the hover title), not by ids.
    const headers = await page.locator('table[aria-label="Comparison"] thead th').allTextContents();
    expect(headers).toEqual(['Step', 'seed-strings n=2,000,000defaults · node', expect.stringMatching(/^big-buffers n=64 .*defaults · node$/), 'Δ vs seed-strings n=2,000,000']);
    await expect(page.locator('table[aria-label="Comparison"] thead th').nth(1).getAttribute('title')).resolves.toBe(ids[0]);
    // The run colours reach the table headers through the CSSOM, not blocked inline styles.
    await expect(page.locator('table[aria-label="Comparison"] thead th').nth(2).evaluate((th) => getComputedStyle(th).color)).resolves.toBe('rgb(255, 122, 69)'); // RUN_COLORS[1]
    expect(await cspViolations()).toEqual([]);
    await page.screenshot({ path: 'test-results/compare-two-runs.png', fullPage: true });
    await page.close();
  });

  it('exports JSON (the exact record), CSV (a row per sample) and PNG; imports the JSON back', async () => {
    const page = await openDashboard(`#/runs/${ids[1]}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${ids[1]}`)).json());
    const save = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return readFileSync((await download.path())!);
    };
    const json = await save('#export-json');
    expect(RunRecord.parse(JSON.parse(json.toString()))).toEqual(record);
    const csv = (await save('#export-csv')).toString().trimEnd().split('\n');
    expect(csv[0]).toBe('t_ms,rss,heapUsed,heapTotal,external,arrayBuffers,phase');
    // One row per RSS sample, plus the heap reports as their own rows (RSS left empty there).
    expect(csv.filter((line) => line.split(',')[1] !== '')).toHaveLength(record.samples.length + 1);
    expect(csv).toHaveLength(1 + new Set([...record.samples, ...record.heap].map((x) => x.t)).size);
    const png = await save('#export-png');
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    // Importing this server's own run again does not shadow it: the copy gets a fresh id.
    await page.setInputFiles('#import-json', { name: 'mine.json', mimeType: 'application/json', buffer: json });
    await page.waitForSelector(`tr[data-run-id="${ids[1]}-copy2"] .tag`);
    expect(await page.locator(`tr[data-run-id="${ids[1]}"] .tag`).count()).toBe(0);
    // Someone else's run arrives under its own id.
    const theirs = { ...record, id: 'imported-1' };
    await page.setInputFiles('#import-json', { name: 'theirs.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(theirs)) });
    await page.waitForSelector('tr[data-run-id="imported-1"] .tag');
    await expect(page.locator('#toolbar-message').textContent()).resolves.toMatch(/imported imported-1/);
    await page.setInputFiles('#import-json', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"id": 5}') });
    // Polled: the file is read asynchronously, and the message before it is still there meanwhile.
    await expect.poll(() => page.locator('#toolbar-message').textContent()).toMatch(/bad\.json: not a memtide run: id: /);
    expect(await cspViolations()).toEqual([]);
    await page.close();
  });

  it('zooms with the wheel, shows every series and the phase in the tooltip, and resets', async () => {
    const page = await openDashboard(`#/runs/${ids[0]}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    const box = (await page.locator('#chart').boundingBox())!;
    const at = { x: box.x + box.width * 0.45, y: box.y + box.height * 0.6 };
    // Leave the chart first so the tooltip hides: the text read is then the new position's.
    const timeAtCursor = async (dx = 0) => {
      await page.mouse.move(1, 1);
      await page.waitForSelector('.chart-tooltip', { state: 'hidden' });
      await page.mouse.move(at.x + dx + 1, at.y);
      await page.mouse.move(at.x + dx, at.y);
      await page.waitForSelector('.chart-tooltip:not([hidden])');
      return page.locator('.chart-tooltip b').textContent();
    };
    const before = await timeAtCursor();
    const beforeRight = await timeAtCursor(250);
    expect(before).toMatch(/^\d+\.\d{3} s( · (baseline|allocate|unreference|collect|settle))?$/);
    const lines = await page.locator('.chart-tooltip div').allTextContents();
    expect(lines[0]).toMatch(/^RSS \(sampled from outside\): \d+\.\d MiB$/);
    expect(lines.some((l) => l.startsWith('heapUsed (V8): '))).toBe(true);

    await page.mouse.move(at.x, at.y);
    for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -400); // zoom in around the cursor
    await page.waitForSelector('#reset-zoom:not([hidden])');
    // 250 px right of the cursor is now a time much closer to it (polled: a frame may be pending).
    await expect.poll(async () => parseFloat((await timeAtCursor(250))!), { timeout: 5000 }).toBeLessThan(parseFloat(beforeRight!));
    expect(parseFloat((await timeAtCursor(250))!)).toBeGreaterThanOrEqual(parseFloat(before!));
    await page.click('#reset-zoom');
    await page.waitForSelector('#reset-zoom', { state: 'hidden' });
    await expect.poll(() => timeAtCursor(250), { timeout: 5000 }).toBe(beforeRight);
    expect(await cspViolations()).toEqual([]);
    await page.close();
  });

  it('deletes a run after confirmation', async () => {
    const page = await openDashboard();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`tr[data-run-id="${ids[0]}"] button.danger`).click();
    await page.waitForSelector(`tr[data-run-id="${ids[0]}"]`, { state: 'detached' });
    expect((await fetch(`${app.url}/api/runs/${ids[0]}`)).status).toBe(404);
    await page.close();
  });
});

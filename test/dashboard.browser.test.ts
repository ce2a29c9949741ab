// A real browser opens the dashboard, presses Run, and sees the chart and the seed's table.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { PHASES } from '../shared/run-record.js';
import { SERIES } from '../client/src/views/chart-theme.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { isRunEnd, connectRecorder, startTestServer } from './helpers.js';

const hasBrowser = chromiumAvailable();
let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  if (!hasBrowser) return;
  app = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Pixels on the chart canvas close to the RSS line's colour. */
function rssPixels(page: Page): Promise<number> {
  return page.evaluate((hex) => {
    const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const canvas = document.querySelector<HTMLCanvasElement>('#chart')!;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 128 && want.every((w, k) => Math.abs(data[i + k]! - w) < 30)) count++;
    return count;
  }, SERIES.rss);
}

describe.skipIf(!hasBrowser)('dashboard in Chromium', () => {
  it('runs seed-strings from its button and shows the live chart, phase labels and the table', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const violations = await watchCsp(page);
    const response = await page.goto(app.url);
    expect(response!.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForSelector('#connection[data-state="open"]');
    const card = page.locator('article.card', { has: page.locator('button[data-experiment="seed-strings"]') });
    await card.locator('input[name="n"]').fill('3000000');
    const blankBefore = await rssPixels(page);
    await card.locator('button[data-experiment="seed-strings"]').click();

    // Live: while the run goes, the status line shows a phase and Cancel is offered.
    await page.waitForSelector('#status:has-text("running")');
    await page.waitForSelector('table[aria-label="Summary"]', { timeout: 30_000 });
    for (const row of ['Allocation', 'Unreference', 'Collect', 'Overall']) {
      await expect(page.locator(`tr[data-row="${row}"] td`).nth(1).textContent()).resolves.toMatch(/^[+−]\d+\.\d\d%$/);
    }
    await expect(page.locator('.verdict').getAttribute('data-verdict')).resolves.toMatch(/released|retained by allocator|still referenced|inconclusive/);
    // The evidence behind it: the run's own threshold, and where RSS above baseline is at each phase end.
    await expect(page.locator('#summary .note').first().textContent()).resolves.toMatch(/Released if the data still above baseline .* is at most \d+\.\d MiB/);
    await expect(page.locator('table[aria-label="Where RSS above baseline is"] tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.phase)))
      .resolves.toEqual(expect.arrayContaining(['allocate', 'settle']));
    const labels = await page.locator('#phases li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.phase));
    expect(labels).toEqual([...PHASES]);

    await page.waitForTimeout(100); // one more frame for the final points
    const drawn = await rssPixels(page);
    // Before the run only the legend swatch has the RSS colour; the line adds hundreds of pixels.
    expect(drawn - blankBefore).toBeGreaterThan(300);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]); // the client works under the CSP
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard-seed-strings.png' });
    await page.close();
  });

  it('refuses an out-of-bounds parameter, naming it, and starts nothing', async () => {
    const runsBefore = await (await fetch(`${app.url}/api/runs`)).json();
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const card = page.locator('article.card', { has: page.locator('button[data-experiment="seed-strings"]') });
    await card.locator('input[name="n"]').fill('5');
    await card.locator('button[data-experiment="seed-strings"]').click();
    await expect(card.locator('.error').textContent()).resolves.toMatch(/^n: /);
    expect(await (await fetch(`${app.url}/api/runs`)).json()).toEqual(runsBefore);
    await page.close();
  });
});

describe.skipIf(!hasBrowser)('queue and token in Chromium', () => {
  it('a run asked for while another runs is listed once, in the queue, with its position; cancel all empties it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const cardOf = (id: string) => page.locator('article.card', { has: page.locator(`button[data-experiment="${id}"]`) });
    // The longest Node run (unique-strings at its maximum, ~4 s): it must still run when Cancel is pressed below.
    await cardOf('unique-strings').locator('input[name="n"]').fill('10000000');
    await cardOf('unique-strings').locator('button[data-experiment="unique-strings"]').click();
    await page.waitForSelector('#status:has-text("running")');
    await cardOf('seed-strings').locator('input[name="n"]').fill('1000');
    await cardOf('seed-strings').locator('button[data-experiment="seed-strings"]').click();
    await page.waitForSelector('#queue li:has-text("#1 seed-strings n=1,000 (yours)")');
    await expect(page.locator('#status').textContent()).resolves.not.toMatch(/queued/); // said once, not twice
    // A second queued run is cancelled from the queue list; the first stays queued.
    await cardOf('big-buffers').locator('input[name="n"]').fill('8');
    await cardOf('big-buffers').locator('button[data-experiment="big-buffers"]').click();
    const second = page.locator('#queue li', { hasText: 'big-buffers' });
    await second.waitFor();
    const secondId = await second.getAttribute('data-run-id');
    await second.locator('button').click();
    await second.waitFor({ state: 'detached' });
    expect((await (await fetch(`${app.url}/api/runs/${secondId}`)).json()).status).toBe('cancelled');
    await expect(page.locator('#queue li').allTextContents()).resolves.toEqual([expect.stringMatching(/^#1 seed-strings n=1,000 \(yours\)/)]);
    // Cancel the running one: the queued run starts, is shown, and the queue note goes away.
    const ws = await connectRecorder(app.url);
    await page.locator('#cancel').click();
    await page.waitForSelector('#run-title:has-text("Seed")');
    const seedId = (await (await fetch(`${app.url}/api/runs`)).json())[0].id as string;
    await ws.waitFor(isRunEnd(seedId));
    await page.waitForSelector('table[aria-label="Summary"]');
    await expect(page.locator('#status').textContent()).resolves.not.toMatch(/queued/);
    ws.close();
    await page.close();
  });

  it('with MEMTIDE_TOKEN, the page opened with ?token= loads, streams and starts runs', async () => {
    const token = 'browser-token-0123456789';
    const guarded = await startTestServer({ token });
    try {
      expect((await fetch(guarded.url)).status).toBe(401);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${guarded.url}/?token=${token}`);
      await page.waitForSelector('#connection[data-state="open"]');
      const card = page.locator('article.card', { has: page.locator('button[data-experiment="seed-strings"]') });
      await card.locator('input[name="n"]').fill('1000');
      await card.locator('button[data-experiment="seed-strings"]').click();
      await page.waitForSelector('table[aria-label="Summary"]', { timeout: 30_000 });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await guarded.close();
    }
  });
});

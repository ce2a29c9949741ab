// The history panel in Chromium over 120 stored runs: the count, pages forward and back, filters,
// free text, and sorting by Overall both ways.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { RunStore } from '../server/storage/run-store.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { startTestServer, tempDataDir } from './helpers.js';
import { record, summary } from './store-fixtures.js';

const hasBrowser = chromiumAvailable();
let app: RunningApp;
let browser: Browser;
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  if (!hasBrowser) return;
  const dataDir = tempDataDir();
  const store = new RunStore(dataDir);
  store.db.transaction(() => {
    for (let i = 0; i < 120; i++) {
      store.save(record(`p-${String(i).padStart(3, '0')}`, T0 + i * 60_000, {
        experiment: i % 3 === 0 ? 'py-seed' : 'seed-strings', runtime: i % 3 === 0 ? 'python' : 'node', status: 'finished', error: undefined,
        summary: summary(i - 60, i % 2 ? 'released' : 'retained by allocator'), knobs: i === 42 ? { allocator: 'jemalloc' } : {},
      }));
    }
  })();
  store.close();
  app = await startTestServer({ dataDir });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const rowIds = (page: Page) => page.locator('.history-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.runId));

describe.skipIf(!hasBrowser)('history pages in Chromium', () => {
  it('pages through 120 runs with the count shown, filters them, and sorts by Overall', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const csp = await watchCsp(page);
    await page.goto(app.url);
    await page.waitForSelector('.history-count:has-text("1–50 of 120")');
    expect((await rowIds(page)).slice(0, 2)).toEqual(['p-119', 'p-118']);
    await page.click('button:has-text("Next ›")');
    await page.waitForSelector('.history-count:has-text("51–100 of 120")');
    expect((await rowIds(page))[0]).toBe('p-069');
    await page.click('button:has-text("Next ›")');
    await page.waitForSelector('.history-count:has-text("101–120 of 120")');
    expect(await rowIds(page)).toHaveLength(20);
    await page.locator('section.history').screenshot({ path: 'test-results/history-pages.png' });
    await expect(page.locator('button:has-text("Next ›")').isDisabled()).resolves.toBe(true);
    await page.click('button:has-text("‹ Previous")');
    await page.waitForSelector('.history-count:has-text("51–100 of 120")');

    // A filter goes back to the first page of what matches.
    await page.selectOption('select[name="history-experiment"]', 'py-seed');
    await page.waitForSelector('.history-count:has-text("1–40 of 40")');
    await page.selectOption('select[name="history-verdict"]', 'released');
    await page.waitForSelector('.history-count:has-text("1–20 of 20")');
    expect((await rowIds(page)).every((id) => Number(id!.slice(2)) % 3 === 0 && Number(id!.slice(2)) % 2 === 1)).toBe(true);
    await page.click('button:has-text("Clear filters")');
    await page.waitForSelector('.history-count:has-text("1–50 of 120")');
    await page.fill('input[name="history-q"]', 'JEMALLOC');
    await page.waitForSelector('.history-count:has-text("1–1 of 1")');
    expect(await rowIds(page)).toEqual(['p-042']);
    await page.fill('input[name="history-q"]', '');
    await page.waitForSelector('.history-count:has-text("1–50 of 120")');

    // Overall, highest first; again, lowest first.
    await page.click('button[aria-label="Sort by Overall"]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.history-table tbody tr')?.dataset.runId === 'p-119');
    await expect(page.locator('th[aria-sort="descending"]').textContent()).resolves.toBe('Overall ↓');
    await page.click('button[aria-label="Sort by Overall"]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.history-table tbody tr')?.dataset.runId === 'p-000');
    await page.click('button:has-text("Next ›")');
    await page.waitForSelector('.history-count:has-text("51–100 of 120")');
    expect((await rowIds(page))[0]).toBe('p-050');
    expect(await csp()).toEqual([]);
    await page.close();
  });
});

// "Compare allocators" in a real browser: one click on a card runs the experiment under every
// allocator setting, the table fills in as the runs end with the best setting marked, and the
// overlay of the runs is one more click.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { MatrixAnswer } from '../shared/protocol/http.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { startTestServer } from './helpers.js';

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

describe.skipIf(!hasBrowser)('allocator matrix in Chromium', () => {
  it('Compare allocators runs every setting, marks the best, and overlays the runs', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const violations = await watchCsp(page);
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const card = page.locator('article.card', { has: page.locator('button[data-experiment="seed-strings"]') });
    await card.locator('input[name="n"]').fill('10000');
    await card.locator('input[name="settleMs"]').fill('200');
    await card.getByRole('button', { name: 'Compare allocators for Seed: 10⁷ references to one string' }).click();

    // The table opens at once and fills in as each run ends.
    await page.waitForSelector('#matrix:not([hidden]) table[aria-label="Allocator matrix"]');
    await page.waitForSelector('#matrix tr[data-setting][data-status="finished"] >> nth=3', { timeout: 60_000 });
    const rows = page.locator('#matrix tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.setting))).toEqual(['glibc', 'glibc + trim', 'jemalloc', 'jemalloc decay 0']);
    await expect(page.locator('#matrix-body [role="status"]').textContent()).resolves.toMatch(/^All 4 settings ran\. \S.* keeps the least: [+−]\d+\.\d MiB after settle/);

    // The row marked is the server's best: the setting that kept the least after settle.
    const id = (await page.locator('#matrix tbody tr').first().getAttribute('data-run-id'))!;
    const matrixId = (await (await fetch(`${app.url}/api/runs/${id}`)).json() as { matrixId: string }).matrixId;
    const table = MatrixAnswer.parse(await (await fetch(`${app.url}/api/matrices/${matrixId}`)).json());
    const best = table.rows.find((r) => r.best)!;
    expect(await page.locator('#matrix tr[data-best="true"]').getAttribute('data-setting')).toBe(best.setting);
    await expect(page.locator('#matrix tr[data-best="true"] th').textContent()).resolves.toBe(`${best.setting}★ returns the most`);
    const cells = await page.locator(`#matrix tr[data-setting="${best.setting}"] td`).allTextContents();
    expect(cells[0]).toBe(`${(best.peak! / 2 ** 20).toFixed(1)} MiB`);
    expect(cells[4]).toBe(best.verdict);

    // One click: the four runs on one chart, with their tables side by side.
    await page.click('#matrix-overlay');
    await page.waitForSelector('#compare:not([hidden]) table[aria-label="Comparison"]');
    expect(await page.locator('#compare-legend li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.runId))).toEqual(table.rows.map((r) => r.runId));
    // The same experiment four times: each column is headed by its setting first; the Δ columns name the first.
    const heads = await page.locator('table[aria-label="Comparison"] thead th').allTextContents();
    expect(heads.slice(0, 4)).toEqual(['Step', 'defaults · nodeseed-strings n=10,000', 'trim · nodeseed-strings n=10,000', 'Δ vs defaults · node']);
    // Eight columns of figures scroll in their own box at 1400 px; the page does not scroll sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);

    // Its runs' history rows lead back to the matrix.
    await page.click('#matrix-close');
    await expect(page.locator('#matrix').isHidden()).resolves.toBe(true);
    // The run's knobs, then the link, apart ("defaultsmatrix" once).
    await expect(page.locator(`tr[data-run-id="${id}"] td.knobs`).textContent()).resolves.toBe('defaults matrix');
    await page.locator(`tr[data-run-id="${id}"] button[data-matrix-id="${matrixId}"]`).click();
    await page.waitForSelector('#matrix:not([hidden]) table[aria-label="Allocator matrix"]');
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });
});

// A real browser runs a CPython experiment from its button, with the trim knob, and sees its table,
// the Trim row, CPython's own figures and the per-phase breakdown bars.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { RunRecord } from '../shared/run-record.js';
import { chromiumAvailable, launchChromium } from './browser.js';
import { startTestServer } from './helpers.js';

const hasBrowser = chromiumAvailable();
const hasPython = typeof machine().python !== 'string';
let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  if (!hasBrowser || !hasPython) return;
  app = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe.skipIf(!hasBrowser || !hasPython)('CPython in the dashboard', () => {
  it('runs py-medium-bytes with the trim knob from its card and shows the table with a Trim row', async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const card = page.locator('article.card', { has: page.locator('button[data-experiment="py-medium-bytes"]') });
    await card.locator('input[name="n"]').fill('50000');
    await card.locator('details.knobs > summary').click();
    await card.locator('input[name="trim"]').check();
    await card.locator('button[data-experiment="py-medium-bytes"]').click();

    await page.waitForSelector('table[aria-label="Summary"]', { timeout: 30_000 });
    for (const row of ['Allocation', 'Unreference', 'Collect', 'Overall', 'Trim']) {
      await expect(page.locator(`tr[data-row="${row}"] td`).nth(1).textContent()).resolves.toMatch(/^[+−]\d+\.\d\d%$/);
    }
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/python 3\.\d+\.\d+.*malloc_trim\(0\) phase/);
    await expect(page.locator('table[aria-label="CPython figures"] tr[data-phase="allocate"] td').nth(1).textContent()).resolves.toMatch(/^\d[\d,]*$/);
    const labels = await page.locator('#phases li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.phase));
    expect(labels).toEqual(['baseline', 'allocate', 'unreference', 'collect', 'trim', 'settle']);

    // The run record behind the page: the knobs as asked, and one breakdown per phase end.
    const runs = (await (await fetch(`${app.url}/api/runs`)).json()) as { id: string }[];
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${runs[0]!.id}`)).json());
    expect(record.knobs).toEqual({ trim: true });
    expect(record.breakdowns.map((b) => b.phase)).toEqual(labels);
    expect(errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard-py-medium-bytes.png' });
    await page.close();
  });
});

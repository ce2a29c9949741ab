// A real browser runs a CPython experiment from its button, with the trim knob, and sees its table,
// the Trim row, CPython's own figures and the per-phase breakdown bars; then, without trim, what the
// verdict reads (issue 9): the bars split by owner with the brk heap the largest part at settle, the
// chart's legend naming its series plainly, the rule that decided, and the remedy's button starting
// the same run with trim — which then is released.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { RunInfo, RunRecord } from '../shared/run-record.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
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

const listRuns = async () => RunInfo.array().parse(await (await fetch(`${app.url}/api/runs`)).json());

/** The bars by owner at one phase end, as the charts' data table gives them: segment key → bytes. */
async function barsAt(page: Page, phase: string): Promise<Record<string, number>> {
  const cells = page.locator(`table[aria-label="Bars by owner, by phase end"] tr[data-phase="${phase}"] td[data-bytes]`);
  return Object.fromEntries(await cells.evaluateAll((tds) => tds.map((td) => [(td as HTMLElement).dataset.part!, Number((td as HTMLElement).dataset.bytes)])));
}

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
    const runs = await listRuns();
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${runs[0]!.id}`)).json());
    expect(record.knobs).toEqual({ trim: true });
    expect(record.breakdowns.map((b) => b.phase)).toEqual(labels);
    expect(errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard-py-medium-bytes.png' });
    await page.close();
  });

  it('py-medium-bytes: bars by owner with the brk heap largest at settle, plain legend, the deciding rule, and a trim remedy that is released', async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const violations = await watchCsp(page);
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const card = page.locator('article.card', { has: page.locator('button[data-experiment="py-medium-bytes"]') });
    await card.locator('input[name="n"]').fill('50000');
    await card.locator('input[name="settleMs"]').fill('300');
    await card.locator('button[data-experiment="py-medium-bytes"]').click();
    await page.waitForSelector('.verdict[data-verdict="retained by allocator"]', { timeout: 30_000 });
    const before = await listRuns();
    const first = before[0];

    // The bars default to the split the verdict reads, and say so in their name.
    await expect(page.locator('#breakdown-mode button[aria-pressed="true"]').textContent()).resolves.toBe('by owner');
    await expect(page.locator('#breakdown').getAttribute('aria-label')).resolves.toMatch(/^Where the memory is at each phase end, by owner/);
    await page.click('details.chart-data > summary');
    const settle = await barsAt(page, 'settle');
    const largest = Object.entries(settle).sort((a, b) => b[1] - a[1])[0]!;
    expect(largest[0]).toBe('brkHeapFree');
    expect(largest[1]).toBeGreaterThan(40 * 2 ** 20); // 5·10⁴ × 1000 bytes ≈ 48 MiB
    expect((await barsAt(page, 'allocate')).live).toBeGreaterThan(40 * 2 ** 20);
    // The same figures the summary recorded, to the byte.
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${first!.id}`)).json());
    expect(settle.brkHeapFree).toBe(record.summary!.accounting!.find((a) => a.phase === 'settle')!.brkHeapFree);
    await expect(page.locator('table[aria-label="Bars by owner, by phase end"] thead th').allTextContents()).resolves
      .toEqual(expect.arrayContaining(['live', 'free in allocator: brk heap']));

    // The legend: nothing claims the blocks are what the verdict reads; the markers are the verdict's live share.
    const legend = await page.locator('#chart-legend li').allTextContents();
    expect(legend).toContain('allocated blocks (CPython sys.getallocatedblocks(); right axis)');
    expect(legend).toContain("baseline RSS + live (the verdict's live share, at phase ends)");
    expect(legend.filter((l) => /verdict reads/.test(l))).toEqual([]);
    await expect(page.locator('table[aria-label="Chart data by phase"] thead').textContent()).resolves.not.toMatch(/verdict reads/);

    // The other split is one click away and names itself.
    await page.click('#breakdown-mode button[data-mode="mapping"]');
    await expect(page.locator('#breakdown').getAttribute('aria-label')).resolves.toMatch(/^Where the memory is at each phase end, by mapping/);
    await page.click('#breakdown-mode button[data-mode="owner"]');

    // Noise, the rule that decided, the unexplained share, the data kept.
    await expect(page.locator('.verdict-figures').textContent()).resolves.toMatch(/^Data kept \d+\.\d MiB · threshold 6\.0 MiB/);
    await expect(page.locator('.verdict-rules li[data-decided="true"]').textContent()).resolves.toMatch(/^the largest share decides: .* ← decided this run$/);
    await expect(page.locator('.unexplained').textContent()).resolves.toMatch(/^Unexplained ≤ \d+\.\d % of what allocate added/);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/verdict-ui-py-medium-bytes.png', fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: 'test-results/verdict-ui-py-medium-bytes-dark.png', fullPage: true });

    // The remedy: the same run with trim, asked for through the page's own start path.
    const remedy = page.locator('button.remedy', { hasText: 'trim phase on' });
    await expect(remedy.textContent()).resolves.toMatch(/^Re-run with trim phase on \(≈ \d+\.\d MiB back\)$/);
    await remedy.click();
    await expect.poll(async () => (await listRuns()).length).toBe(before.length + 1);
    const [second] = await listRuns();
    expect(second!.knobs).toEqual({ trim: true });
    expect({ params: second!.params, settleMs: second!.settleMs, sampleHz: second!.sampleHz }).toEqual({ params: first!.params, settleMs: 300, sampleHz: first!.sampleHz });
    // …and it does what it said: the page follows the new run to its verdict.
    await page.waitForSelector('.verdict[data-verdict="released"]', { timeout: 30_000 });
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/malloc_trim\(0\) phase/);
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });
});

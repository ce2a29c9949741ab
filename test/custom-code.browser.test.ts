// A real Chromium: the "Your code" card's editor is typed into with the keyboard, the code runs
// and its table appears; a syntax error is marked on its line; a run's code and output stay text;
// saving puts it in the catalog tagged yours; one click runs a past run's code again; and a
// server with MEMTIDE_ALLOW_CODE=0 has the card say why it cannot run.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { connectRecorder, isRunEnd, postJson, startTestServer } from './helpers.js';

const hasBrowser = chromiumAvailable();
const hasPython = typeof machine().python !== 'string';
let app: RunningApp;
let noCode: RunningApp;
let browser: Browser;

beforeAll(async () => {
  if (!hasBrowser) return;
  app = await startTestServer();
  noCode = await startTestServer({ allowCode: false });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await noCode?.close();
});

async function open(url: string): Promise<{ page: Page; errors: string[]; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('dialog', (d) => void d.accept());
  const violations = await watchCsp(page);
  await page.goto(url);
  await page.waitForSelector('#connection[data-state="open"]');
  await page.locator('#your-code > summary').click();
  await page.waitForSelector('.code-editor[data-field="allocate"] .cm-content');
  return { page, errors, violations };
}

/** Replaces a field's code by typing it: focus, select all, delete, then key by key. */
async function typeInto(page: Page, field: string, lines: string[]): Promise<void> {
  const content = page.locator(`.code-editor[data-field="${field}"] .cm-content`);
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  for (const [i, line] of lines.entries()) {
    if (i > 0) await page.keyboard.press('Enter');
    await page.keyboard.type(line, { delay: 5 });
  }
}

describe.skipIf(!hasBrowser || !hasPython)('Your code in Chromium', () => {
  it('types code with the keyboard, runs it, shows the table and the exact code; marks a syntax error on its line', async () => {
    const { page, errors, violations } = await open(app.url);
    await expect(page.locator('.code-warning').textContent()).resolves.toMatch(/rights of the user the memtide server runs as/);
    await page.locator('select[name="runtime"]').selectOption('python');
    await typeInto(page, 'setup', ['']);
    await typeInto(page, 'allocate', ['foo = [str(i) * 3 for i in range(300000)]']);
    await typeInto(page, 'unreference', ['del foo']);
    await page.locator('#your-code input[name="settleMs"]').fill('300');
    await page.locator('button.run-code').click();
    await page.waitForSelector('table[aria-label="Summary"]', { timeout: 30_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message}; card: ${await page.locator('.code-message').textContent()}; status: ${await page.locator('#status').textContent()}`);
    });
    await expect(page.locator('tr[data-row="Allocation"] td').nth(1).textContent()).resolves.toMatch(/^\+\d+\.\d\d%$/);
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/^Your code: unnamed \(sha256 [0-9a-f]{12}\) · python 3\./);
    // The record holds what was typed, key for key (brackets the editor closed itself included once).
    await expect(page.locator('#run-code pre[data-field="allocate"]').textContent()).resolves.toBe('foo = [str(i) * 3 for i in range(300000)]');

    // One click runs the same code again: a second run with the same hash.
    const runsBefore = (await (await fetch(`${app.url}/api/runs`)).json()) as { codeHash?: string }[];
    await page.locator('#run-code button.run-again').click();
    await page.waitForFunction((n) => document.querySelectorAll('#history tr[data-status="finished"]').length > n, runsBefore.length, { timeout: 30_000 });
    const runsAfter = (await (await fetch(`${app.url}/api/runs`)).json()) as { codeHash?: string }[];
    expect(runsAfter[0]!.codeHash).toBe(runsBefore[0]!.codeHash);

    // A syntax error on line 3: the run fails, the card says where, the line is marked.
    await typeInto(page, 'allocate', ['foo = 1', 'bar = 2', 'baz = 1 +']);
    await page.locator('button.run-code').click();
    const mark = page.locator('.code-editor[data-field="allocate"] .cm-line').nth(2).locator('.cm-lintRange-error');
    await mark.waitFor({ timeout: 30_000 });
    await expect(page.locator('.code-editor[data-field="allocate"] .cm-line').nth(0).locator('.cm-lintRange-error').count()).resolves.toBe(0);
    await expect(page.locator('.code-message').textContent()).resolves.toMatch(/^your code failed in phase allocate, line 3, column \d+: SyntaxError: /);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/failed .*line 3/);

    // Saved: it appears in the catalog tagged yours, and can be deleted.
    await page.locator('#your-code input[name="name"]').fill('three lines');
    await page.locator('#your-code button', { hasText: /^Save$/ }).click();
    const saved = page.locator('#your-experiments article.yours', { hasText: 'three lines' });
    await saved.waitFor();
    await expect(saved.locator('.tag').textContent()).resolves.toBe('yours');
    await saved.getByRole('button', { name: 'Delete three lines' }).click();
    await saved.waitFor({ state: 'detached' });

    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/your-code.png', fullPage: true });
    await page.close();
  });

  it("shows a run's code and output as text, never as markup", async () => {
    const ws = await connectRecorder(app.url);
    const payload = '<img src=x onerror="window.pwned=1"></pre><script>window.pwned=2</script>';
    const { json } = await postJson(`${app.url}/api/runs`, {
      experiment: 'custom', runtime: 'python', settleMs: 200, name: '<b>bold</b>',
      code: { allocate: `foo = 1\nprint(${JSON.stringify(payload)})` },
    });
    await ws.waitFor(isRunEnd(json.id));
    ws.close();
    const { page, errors } = await open(`${app.url}/#/runs/${json.id}`);
    await page.waitForSelector('#run-code pre.code-output');
    await expect(page.locator('#run-code pre.code-output').textContent()).resolves.toBe(`${payload}\n`);
    await expect(page.locator('#run-code pre[data-field="allocate"]').textContent()).resolves.toBe(`foo = 1\nprint(${JSON.stringify(payload)})`);
    await expect(page.locator('#run-title').textContent()).resolves.toContain('<b>bold</b>');
    expect(await page.locator('#lab img, #lab script, #run-title b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with MEMTIDE_ALLOW_CODE=0 the card says why, and Run is off', async () => {
    const { page } = await open(noCode.url);
    await page.waitForSelector('.code-off:not([hidden])');
    await expect(page.locator('.code-off').textContent()).resolves.toBe('Custom code is off on this server: MEMTIDE_ALLOW_CODE=0: this server does not run user code');
    await expect(page.locator('button.run-code').isDisabled()).resolves.toBe(true);
    await page.close();
  });
});

// Watching a running process from the dashboard, in a real Chromium against a real victim: a
// CPython process holding ~200 MB of freed medium bytes in glibc's brk heap. Pick it in the process
// list, watch it with gdb probes allowed, add a marker, trim (accepting the confirmation, which must
// say what the probe does), see the probe's result on the chart and the verdict; stop, and the
// stored record shows the same after a reload, imported from its JSON, and in a report from disk.
// And a trim whose gdb call hangs: cut off at the limit, said as a risk to the target.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { buildReport } from '../server/report.js';
import { gdbAvailability } from '../server/watch/gdb-probe.js';
import { WATCH_LIMITS } from '../shared/limits.js';
import { probeNotice } from '../shared/probe-notice.js';
import { RunRecord } from '../shared/run-record.js';
import { PROBE_COLORS } from '../client/src/views/chart-theme.js';
import { chromiumAvailable, launchChromium, pixelsOf, watchCsp } from './browser.js';
import { postJson, startTestServer, tempDataDir } from './helpers.js';
import { fixture, killVictims, spawnVictim } from './victims.js';

// .ci/run installs gdb; without it the trim cannot run, and this says so and skips.
const hasBrowser = chromiumAvailable();
const hasGdb = gdbAvailability().allowed;
let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  if (!hasBrowser || !hasGdb) return;
  app = await startTestServer();
  browser = await launchChromium();
});
afterEach(async () => {
  // Whatever happened: no watch left going, no victim left alive.
  if (app) await Promise.all(app.watches.list().map((w) => app.watches.stop(w.id)));
  killVictims();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const mib = (text: string | null) => Number(/([\d.]+) MiB/.exec(text ?? '')?.[1]);

describe.skipIf(!hasBrowser || !hasGdb)('watching a process in Chromium', () => {
  it('picks the victim, watches it with gdb probes, marks, trims after the confirmation, and shows the result and the verdict', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '200000']);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const violations = await watchCsp(page);
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');

    // The picker: the victim among the processes, found by the filter; memtide itself refused, greyed out.
    await page.locator('#watch-open').click();
    await page.waitForSelector('#processes-status:has-text("processes")');
    await expect(page.locator(`.process-table tr[data-pid="${process.pid}"] .refusal`).textContent()).resolves.toBe('not watchable: memtide itself');
    await expect(page.locator(`.process-table tr[data-pid="${process.pid}"] button`).isDisabled()).resolves.toBe(true);
    await page.locator('#process-filter').fill(`${victim.pid} python`);
    const row = page.locator('.process-table tbody tr');
    await expect(row.count()).resolves.toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 6)).toEqual([String(victim.pid), expect.any(String), expect.stringMatching(/ MiB$/), expect.stringMatching(/^CPython/), 'glibc', expect.stringContaining('victim-medium-bytes.py 200000')]);
    expect(mib(cells[2]!)).toBeGreaterThan(180);
    await page.locator('#watch-hz').fill('200');
    await page.locator('#watch-probes').check();
    await row.getByRole('button', { name: `Watch pid ${victim.pid} (python3)` }).click();

    // The watch view, live: target line, the first breakdown read, the picker closed.
    await page.waitForSelector('#watch:not([hidden])');
    await expect(page.locator('#processes').isHidden()).resolves.toBe(true);
    await expect(page.locator('#watch-target [data-part="pid"]').textContent()).resolves.toBe(`pid ${victim.pid}`);
    await expect(page.locator('#watch-target [data-part="allocator"]').textContent()).resolves.toBe('allocator glibc');
    await page.waitForSelector('#watch-readings [data-reading="rate"]:has-text("breakdown every")');
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^watching · /);
    await expect(page.locator('#watch-verdict .verdict').getAttribute('data-verdict')).resolves.toBe('none');

    await page.locator('#watch-marker-label').fill('before the trim');
    await page.locator('#watch-add-marker').click();
    await page.waitForSelector('#watch-events li[data-marker="before the trim"]');

    // Trim: the confirmation says what it does to the process, and the buttons wait while it runs.
    const dialog = page.waitForEvent('dialog').then(async (d) => {
      const message = d.message();
      await d.accept();
      return message;
    });
    await page.locator('#watch-trim').click();
    expect(await dialog).toBe(probeNotice('trim', { pid: victim.pid, runtime: 'python' }, WATCH_LIMITS.probeTimeoutMs));
    await page.waitForSelector('#watch-events li[data-kind="trim"][data-status="done"]', { timeout: 20_000 });
    const label = await page.locator('#watch-events li[data-kind="trim"]').textContent();
    expect(label).toMatch(/^\d+\.\d s trim −\d+\.\d MiB · paused \d+ ms$/);
    expect(mib(label)).toBeGreaterThan(150); // ≥ 80 % of what the victim freed came back
    await expect(page.locator('#watch-trim').isEnabled()).resolves.toBe(true);
    const verdict = page.locator('#watch-verdict .verdict');
    await expect(verdict.getAttribute('data-verdict')).resolves.toBe('retained by allocator');
    await expect(verdict.textContent()).resolves.toMatch(/^retained by allocator — The allocator was holding it: malloc_trim returned \d+\.\d MiB \(\d+ % of RSS\), most of it in glibc's brk heap/);
    await expect(page.locator('.probe-table tr[data-kind="trim"] td.probe-result').textContent()).resolves.toBe('malloc_trim(0) returned 1: memory was released');
    // On the chart itself: the trim's band (its colour's strip at the top of the plot).
    await page.waitForTimeout(100);
    expect(await pixelsOf(page, '#watch-chart', PROBE_COLORS.trim, 24)).toBeGreaterThan(20);

    // A refusal (4xx) is shown in the server's words: this process is being watched already.
    await page.locator('#watch-open').click();
    await page.waitForSelector('#processes-status:has-text("processes")');
    await page.locator('#process-filter').fill(String(victim.pid));
    await page.locator(`.process-table tr[data-pid="${victim.pid}"] button`).click();
    // Polled: the alert is there (empty) before the server's answer fills it.
    await expect.poll(() => page.locator('#processes .watch-alert').textContent()).toBe(`pid ${victim.pid} not watched: pid: ${victim.pid} is being watched already`);
    await page.keyboard.press('Escape');
    await expect(page.locator('#processes').isHidden()).resolves.toBe(true);

    // Stop: stored, listed as a watch with its verdict, and opened again from the stored record.
    await page.locator('#watch-stop').click();
    await page.waitForSelector('#status:has-text("finished · stopped by the user")');
    await expect(page.locator('#watch-controls').isHidden()).resolves.toBe(true);
    const id = (await page.evaluate(() => location.hash)).replace('#/runs/', '');
    const historyRow = page.locator(`.history-table tr[data-run-id="${id}"]`);
    await expect(historyRow.locator('td').nth(1).textContent()).resolves.toBe(`watch pid ${victim.pid} (python3)`);
    await expect(historyRow.locator('td').nth(7).textContent()).resolves.toBe('retained by allocator');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/watch-trim.png', fullPage: true });

    await page.reload();
    await page.waitForSelector('#watch-events li[data-kind="trim"][data-status="done"]');
    await expect(page.locator('#watch-events li[data-kind="trim"]').textContent()).resolves.toBe(label);
    await expect(page.locator('#watch-events li[data-marker]').textContent()).resolves.toMatch(/marker: before the trim$/);
    await expect(page.locator('#watch-verdict .verdict').getAttribute('data-verdict')).resolves.toBe('retained by allocator');

    // The same record from a file: imported into the dashboard, and as a report opened from disk.
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${id}`)).json());
    await page.locator('#import-json').setInputFiles({ name: 'watch.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(record)) });
    await page.waitForSelector(`#status:has-text("finished · stopped by the user")`);
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/runs/${id}-copy2`); // written when the page is idle
    await expect(page.locator('#watch-events li[data-kind="trim"]').textContent()).resolves.toBe(label);
    // Chromium logs every 4xx: the one refusal provoked above, and nothing else.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
    expect(await violations()).toEqual([]);
    await page.close();
    errors.length = 0;

    const file = join(tempDataDir(), 'watch-report.html');
    writeFileSync(file, buildReport([record]));
    const report = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    report.on('pageerror', (e) => errors.push(e.message));
    await report.goto(pathToFileURL(file).href);
    await report.waitForSelector('#watch-events li[data-kind="trim"]');
    await expect(report.locator('#watch-events li[data-kind="trim"]').textContent()).resolves.toBe(label);
    await expect(report.locator('#watch-verdict .verdict').getAttribute('data-verdict')).resolves.toBe('retained by allocator');
    await expect(report.locator('#watch-controls').isHidden()).resolves.toBe(true); // nothing to stop or probe from a file
    expect(errors).toEqual([]);
    await report.close();
  });

  it('a trim whose call hangs is cut off at the limit: the buttons wait meanwhile, then it says the target may be at risk', async () => {
    // gdb-call-hangs.sh slips a sleep(30) into the call: the limit interrupts it and gdb unwinds it.
    const hanging = await startTestServer({ probeTimeoutMs: 2500, probeInterruptGraceMs: 3000, gdbPath: fixture('gdb-call-hangs.sh') });
    try {
      const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '1000']);
      const { json } = await postJson(`${hanging.url}/api/watches`, { pid: victim.pid, probes: true, sampleHz: 100 });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${hanging.url}/#/runs/${json.id}`);
      await page.waitForSelector('#watch-controls:not([hidden])');
      page.once('dialog', (d) => void d.accept());
      await page.locator('#watch-trim').click();
      await page.waitForSelector('#watch-events li[data-kind="trim"][data-status="running"]');
      await expect(page.locator('#watch-gc').isDisabled()).resolves.toBe(true);
      await expect(page.locator('#watch-gc-why').textContent()).resolves.toBe('GC is off: a probe is running: wait for it to end');
      const alert = page.locator('#watch-alerts .probe-alert.at-risk');
      await alert.waitFor({ timeout: 20_000 });
      await expect(alert.getAttribute('role')).resolves.toBe('alert');
      await expect(alert.textContent()).resolves.toMatch(/^trim aborted: trim: the call did not return within 2500 ms: gdb was interrupted, unwound the call and detached.* The target may be at risk: the call was interrupted inside it/);
      await expect(page.locator('#watch-events li[data-kind="trim"]').textContent()).resolves.toMatch(/trim aborted · target at risk · paused \d+ ms$/);
      await expect(page.locator('#watch-gc').isEnabled()).resolves.toBe(true);
      await page.close();
    } finally {
      await Promise.all(hanging.watches.list().map((w) => hanging.watches.stop(w.id)));
      await hanging.close();
    }
  });
});

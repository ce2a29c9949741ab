// What a new user tripped over (issue 12, section 3), each seen in a real Chromium: PNG background,
// deleting the run on screen, comparing with cancelled runs, keyboard and screen-reader access,
// the queue said once with "cancel all", feedback at 800 px, the RSS line ending at the worker's
// exit, unknown links, the theme, knob fields that cannot apply, and run data that must stay text.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { RunRecord } from '../shared/run-record.js';
import { chromiumAvailable, launchChromium, watchCsp } from './browser.js';
import { connectRecorder, isRunEnd, postJson, startTestServer } from './helpers.js';

const hasBrowser = chromiumAvailable();
let app: RunningApp;
let browser: Browser;
const finished: string[] = [];
let cancelled: string[] = [];

async function run(body: unknown): Promise<string> {
  const { json } = await postJson(`${app.url}/api/runs`, body);
  return json.id as string;
}

beforeAll(async () => {
  if (!hasBrowser) return;
  app = await startTestServer();
  const ws = await connectRecorder(app.url);
  for (const n of [1000, 2000]) {
    const id = await run({ experiment: 'seed-strings', params: { n } });
    await ws.waitFor(isRunEnd(id));
    finished.push(id);
  }
  // A run cancelled while it ran (samples, no summary) and one cancelled in the queue (no samples).
  const long = await run({ experiment: 'small-objects', params: { n: 10_000_000 } });
  const queued = await run({ experiment: 'seed-strings', params: { n: 1000 } });
  await postJson(`${app.url}/api/runs/${queued}/cancel`, {});
  await new Promise((r) => setTimeout(r, 300));
  await postJson(`${app.url}/api/runs/${long}/cancel`, {});
  await ws.waitFor(isRunEnd(long));
  cancelled = [long, queued];
  ws.close();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function open(hash = '', options: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1400, height: 900 }, acceptDownloads: true, colorScheme: options.colorScheme ?? 'light' });
  await page.goto(`${app.url}/${hash}`);
  await page.waitForSelector('#connection[data-state="open"]');
  return page;
}

const cardOf = (page: Page, id: string) => page.locator('article.card', { has: page.locator(`button[data-experiment="${id}"]`) });

describe.skipIf(!hasBrowser)('what a new user tripped over', () => {
  it('exports the PNG on the theme background, light and dark (not transparent)', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(`#/runs/${finished[0]}`, { colorScheme: scheme });
      await page.waitForSelector('table[aria-label="Summary"]');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
      const png = readFileSync((await download.path())!).toString('base64');
      const [corner, bg] = await page.evaluate(async (data) => {
        const img = new Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const canvas = Object.assign(document.createElement('canvas'), { width: img.width, height: img.height });
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const probe = Object.assign(document.createElement('canvas'), { width: 1, height: 1 }).getContext('2d')!;
        probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--bg');
        probe.fillRect(0, 0, 1, 1);
        return [[...ctx.getImageData(1, 1, 1, 1).data], [...probe.getImageData(0, 0, 1, 1).data]];
      }, png);
      expect(corner).toEqual(bg);
      expect(corner[3]).toBe(255);
      // Light paper for light, dark for dark.
      expect(corner[0]! > 128).toBe(scheme === 'light');
      await page.close();
    }
  });

  it('deleting the run on screen clears the screen and takes it out of the open comparison', async () => {
    const extra = await run({ experiment: 'seed-strings', params: { n: 1500 } });
    const ws = await connectRecorder(app.url);
    await ws.waitFor(isRunEnd(extra));
    ws.close();
    const page = await open(`#/runs/${extra}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    for (const id of [extra, ...finished]) await page.locator(`tr[data-run-id="${id}"] input[type="checkbox"]`).check();
    await page.click('#compare-selected');
    await page.waitForSelector(`#compare-legend li[data-run-id="${extra}"]`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`tr[data-run-id="${extra}"] button.danger`).click();
    await page.waitForSelector(`tr[data-run-id="${extra}"]`, { state: 'detached' });
    await expect(page.locator('#run-title').textContent()).resolves.toMatch(/^No run on screen/);
    await expect(page.locator('#status').textContent()).resolves.toBe('');
    await expect(page.locator('#export-json').isDisabled()).resolves.toBe(true);
    await expect(page.locator('table[aria-label="Summary"]').count()).resolves.toBe(0);
    await page.waitForSelector(`#compare-legend li[data-run-id="${extra}"]`, { state: 'detached' });
    await expect(page.locator('#compare-legend li').count()).resolves.toBe(2);
    // The address follows when the page is next idle (views/route.ts).
    await expect.poll(() => new URL(page.url()).hash).toBe('');
    await page.close();
  });

  it('compares with cancelled runs: each stays in the legend and the table, saying why it has no line or figures', async () => {
    const page = await open();
    for (const id of [finished[0]!, ...cancelled]) await page.locator(`tr[data-run-id="${id}"] input[type="checkbox"]`).check();
    await page.click('#compare-selected');
    await page.waitForSelector('table[aria-label="Comparison"]');
    const legend = await page.locator('#compare-legend li').allTextContents();
    expect(legend).toHaveLength(3);
    expect(legend[1]).toMatch(/small-objects .*— cancelled.*: no summary$/);
    expect(legend[2]).toMatch(/seed-strings .*— cancelled: no samples$/);
    const heads = await page.locator('table[aria-label="Comparison"] thead th').allTextContents();
    expect(heads).toEqual(['Step', 'seed-strings n=1,000defaults · node', 'small-objects n=10,000,000defaults · node', 'seed-strings n=1,000defaults · node']);
    await expect(page.locator('tr[data-row="Allocation"] td.missing').first().textContent()).resolves.toMatch(/^cancelled.*no summary$/);
    await expect(page.locator('tr[data-row="verdict"] td').allTextContents()).resolves.toEqual([expect.stringMatching(/released|retained|referenced|inconclusive/), 'cancelled', 'cancelled']);
    await page.close();
  });

  it('is usable from the keyboard: a skip link, Export within three Tabs of it, Import reachable, cards and charts named', async () => {
    const page = await open(`#/runs/${finished[0]}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to the run');
    await page.keyboard.press('Enter');
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ''));
    }
    expect(reached.slice(0, 3)).toContain('export-json');
    expect(reached).toContain('import-button');
    // Every Run button has its own name, from its experiment.
    const names = await page.locator('button[data-experiment]').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('Run Seed: 10⁷ references to one string');
    // The charts are images with names, and their figures are a table too.
    const snapshot = await page.locator('#lab').ariaSnapshot();
    expect(snapshot).toMatch(/img "RSS and the runtime's heap over time/);
    expect(snapshot).toMatch(/img "Where the memory is at each phase end/);
    await page.click('details.chart-data > summary');
    await expect(page.locator('table[aria-label="Chart data by phase"] tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.phase)))
      .resolves.toEqual(['baseline', 'allocate', 'unreference', 'collect', 'settle']);
    await page.close();
  });

  it('at 800 px wide, pressing Run marks the card where the user is; the queue is listed once and "cancel all" empties it', async () => {
    const page = await open('', { width: 800 });
    const card = cardOf(page, 'small-objects');
    await card.locator('input[name="n"]').fill('10000000');
    await card.locator('button[data-experiment]').click();
    await page.waitForSelector('article.card[data-running="true"]');
    await expect(card.locator('.card-state').textContent()).resolves.toMatch(/^running/);
    const box = (await card.locator('.card-state').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(900); // visible without scrolling
    for (const [id, n] of [['seed-strings', '1000'], ['big-buffers', '1']]) {
      await cardOf(page, id!).locator('input[name="n"]').fill(n!);
      await cardOf(page, id!).locator('button[data-experiment]').click();
    }
    await page.waitForSelector('#queue li >> nth=1');
    await expect(page.locator('#status').textContent()).resolves.not.toMatch(/queued/);
    await page.click('#cancel-queued');
    await page.waitForSelector('#queue li', { state: 'detached' });
    await page.click('#cancel');
    await page.waitForSelector('article.card[data-running="true"]', { state: 'detached' });
    await page.close();
  });

  it('ends the RSS line where the worker exits and marks it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${app.url}/?probe#/runs/${finished[1]}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${finished[1]}`)).json());
    const settleEnd = (record.phases.at(-1)!.end! - record.createdAt) / 1000;
    expect(record.samples.at(-1)!.t).toBeGreaterThan(record.phases.at(-1)!.end!); // the sampler read on past the exit…
    await expect.poll(() => page.evaluate(() => {
      const chart = (window as unknown as { memtideChart: { chart: { data: { datasets: { data: { x: number }[] }[] } } } }).memtideChart.chart;
      return chart.data.datasets[0]!.data.at(-1)?.x ?? -1;
    })).toBeLessThanOrEqual(settleEnd + 1e-9); // …and the line stops at it
    await page.close();
  });

  it('a replay says it is one, and stopping it leaves the stored run as it is in the history', async () => {
    const id = finished[1]!;
    const page = await open(`#/runs/${id}`);
    await page.waitForSelector('table[aria-label="Summary"]');
    const row = page.locator(`tr[data-run-id="${id}"]`);
    const stored = await row.textContent();
    await page.click('button[data-replay="1"]');
    await expect.poll(() => page.locator('#cancel').textContent()).toBe('Stop replay');
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^replaying at 1× \(stored run\) · /);
    await expect(row.getAttribute('data-status')).resolves.toBe('finished'); // the history is not told a run started
    await page.click('#cancel');
    await page.waitForSelector('table[aria-label="Summary"]');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^finished · /);
    await expect(row.getAttribute('data-status')).resolves.toBe('finished');
    await expect(row.textContent()).resolves.toBe(stored);
    await page.close();
  });

  it('a link to an unknown run says so; the cards say they are loading until a catalog arrives', async () => {
    const page = await open('#/runs/nope-123');
    await expect.poll(() => page.locator('#run-title').textContent()).toMatch(/^Run nope-123 could not be shown.*no run "nope-123"/);
    expect(new URL(page.url()).hash).toBe('#/runs/nope-123');
    // The same address typed while a run is on screen: the page says so too, not the old run.
    await page.evaluate((id) => (location.hash = `#/runs/${id}`), finished[0]!);
    await page.waitForSelector('table[aria-label="Summary"]');
    await page.evaluate(() => (location.hash = '#/runs/nope-456'));
    await expect.poll(() => page.locator('#run-title').textContent()).toMatch(/^Run nope-456 could not be shown.*no run "nope-456"/);
    await expect(page.locator('table[aria-label="Summary"]').count()).resolves.toBe(0);
    await page.close();
    // A page without the catalog in it (as the Vite dev server serves it) fetches it: while
    // neither that fetch nor the stream answers, the cards say they are loading.
    const slow = await browser.newPage();
    await slow.route(`${app.url}/`, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/<script type="application\/json" id="memtide-catalog">[^<]*<\/script>/, '');
      await route.fulfill({ response, body: html });
    });
    await slow.route('**/api/experiments', () => undefined);
    await slow.routeWebSocket(/\/ws/, () => undefined);
    await slow.goto(app.url);
    await expect(slow.locator('#experiments').textContent()).resolves.toBe('Loading experiments…');
    await expect(slow.locator('#connection').getAttribute('data-state')).resolves.not.toBe('open');
    await slow.close();
    // The server's page carries the catalog: cards with no request for it and no WebSocket, Run held back.
    const noStream = await browser.newPage();
    const catalogRequests: string[] = [];
    noStream.on('request', (r) => void (new URL(r.url()).pathname === '/api/experiments' && catalogRequests.push(r.url())));
    await noStream.route('**/api/experiments', () => undefined);
    await noStream.routeWebSocket(/\/ws/, () => undefined);
    await noStream.goto(app.url);
    await noStream.waitForSelector('article.card button[data-experiment="seed-strings"]');
    await expect(noStream.locator('button[data-experiment="seed-strings"]').isDisabled()).resolves.toBe(true);
    await expect(noStream.locator('article.card').count()).resolves.toBe(((await (await fetch(`${app.url}/api/experiments`)).json()) as unknown[]).length);
    expect(catalogRequests).toEqual([]);
    await noStream.close();
  });

  it('follows the system theme and has a toggle that sticks', async () => {
    const page = await open('', { colorScheme: 'dark' });
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await bg()).toBe('rgb(15, 20, 25)');
    await page.click('#theme'); // auto → light
    expect(await bg()).toBe('rgb(246, 248, 250)');
    await page.reload();
    await page.waitForSelector('#connection[data-state="open"]');
    expect(await bg()).toBe('rgb(246, 248, 250)');
    await page.click('#theme'); // light → dark
    expect(await bg()).toBe('rgb(15, 20, 25)');
    await page.click('#theme'); // dark → auto
    await page.close();
  });

  it('the catalog and the page stay where they are scrolled (cards once jumped between two positions every frame)', async () => {
    const page = await open();
    await page.waitForSelector('article.card');
    // Positions where the list used to move by itself, with the page scrolled too.
    for (const [pageY, listTop] of [[76, 1267], [300, 3391], [76, 2000], [0, 900]] as const) {
      const seen = await page.evaluate(async ([y, top]) => {
        const list = document.querySelector('#experiments')!;
        list.scrollTop = top;
        window.scrollTo(0, y);
        const positions = new Set<string>();
        for (let i = 0; i < 15; i++) {
          await new Promise((r) => requestAnimationFrame(r));
          positions.add(`${Math.round(scrollY)}/${Math.round(list.scrollTop)}`);
        }
        return [...positions];
      }, [pageY, listTop] as [number, number]);
      expect(seen).toHaveLength(1);
    }
    await page.close();
  });

  it('disables knob fields the chosen allocator ignores, with the reason, and shows units', async () => {
    const page = await open();
    const card = cardOf(page, 'small-buffers');
    await card.locator('details.knobs > summary').click();
    const decay = card.locator('input[name="jemallocDirtyDecayMs"]');
    await expect(decay.isDisabled()).resolves.toBe(true);
    await expect(card.locator('label:has(input[name="jemallocDirtyDecayMs"])').textContent()).resolves.toMatch(/dirty_decay_ms \(ms\).*(only with allocator jemalloc|unavailable)/);
    await expect(card.locator('label:has(input[name="mallocTrimThreshold"])').textContent()).resolves.toMatch(/\(bytes\)/);
    const jemalloc = await card.locator('select[name="allocator"]').isEnabled();
    if (jemalloc) {
      await card.locator('select[name="allocator"]').selectOption('jemalloc');
      await expect(decay.isEnabled()).resolves.toBe(true);
      await expect(card.locator('input[name="mallocTrimThreshold"]').isDisabled()).resolves.toBe(true);
    }
    await page.close();
  });

  it('keeps run data as text: </script> and <img onerror> in an imported run never run', async () => {
    const page = await browser.newPage();
    const violations = await watchCsp(page);
    await page.goto(app.url);
    await page.waitForSelector('#connection[data-state="open"]');
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${finished[0]}`)).json());
    const evil = '</script><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const crafted = { ...record, id: 'evil-1', status: 'failed', summary: null, experiment: evil, error: evil, params: { [evil]: 1 }, runtimeVersion: evil };
    await page.setInputFiles('#import-json', { name: 'evil.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(crafted)) });
    await page.waitForSelector('tr[data-run-id="evil-1"]');
    await expect(page.locator('#run-title').textContent()).resolves.toContain(evil);
    await expect(page.locator('#summary .failure').textContent()).resolves.toContain(evil);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await violations()).toEqual([]);
    await page.close();
  });
});

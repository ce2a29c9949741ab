// Launches Debian's Chromium through playwright-core (no browser download: none is possible here).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MEMTIDE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** In CI a missing browser is a failure; on a developer's machine it is a loud skip. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium not found at ${CHROMIUM_PATH}: browser tests cannot run (apt-get install chromium)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n${'!'.repeat(80)}\n!! ${message}\n!! BROWSER TESTS SKIPPED\n${'!'.repeat(80)}\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Records Content-Security-Policy violations from the page's first script on. */
export async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

/** Pixels of a canvas within `tolerance` of an #rrggbb colour on each channel (what a chart drew in it). */
export function pixelsOf(page: Page, selector: string, hex: string, tolerance = 30): Promise<number> {
  return page.evaluate(([sel, color, tol]) => {
    const canvas = document.querySelector<HTMLCanvasElement>(sel as string)!;
    const want = [1, 3, 5].map((i) => parseInt((color as string).slice(i, i + 2), 16));
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 128 && want.every((w, k) => Math.abs(data[i + k]! - w) < (tol as number))) n++;
    return n;
  }, [selector, hex, tolerance] as const);
}

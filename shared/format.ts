// How figures are written for people, the same in the CLI, the dashboard and the verdict texts.
import { MiB } from './units.js';

/** "12.3 MiB" */
export const formatMiB = (bytes: number, digits = 1): string => `${(bytes / MiB).toFixed(digits)} MiB`;
/** "+12.3 MiB" / "−12.3 MiB" (a real minus sign). */
export const formatSignedMiB = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${formatMiB(Math.abs(bytes))}`;
/** "+3034.36%" / "−752.00%" */
export const formatPct = (pct: number): string => `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(2)}%`;
/** The seed's own way of printing a percent: "3034.36%", "-752.00%" (what scripts parse from the CLI). */
export const formatSeedPct = (pct: number): string => `${pct.toFixed(2)}%`;
/** "+290.1 MiB" with an ASCII sign, for the CLI's seed lines. */
export const formatAsciiSignedMiB = (bytes: number): string => `${bytes >= 0 ? '+' : '-'}${formatMiB(Math.abs(bytes))}`;
/** "1.2 s" */
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/**
 * "1,000,000": rounded, grouped as en-US does (toLocaleString('en-US'), which it equals), but by
 * hand for safe integers: a page's first Intl number format sets ICU up, 12–50 ms on the main
 * thread in Chromium here, and the experiment cards need counts before their first frame.
 */
export const formatCount = (n: number): string => {
  const r = Math.round(n);
  if (!Number.isSafeInteger(r) || Object.is(r, -0)) return r.toLocaleString('en-US');
  return `${r < 0 ? '-' : ''}${String(Math.abs(r)).replace(/\B(?=(\d{3})+$)/g, ',')}`;
};

import { MiB } from '../../shared/summary.js';

export const formatMiB = (bytes: number, digits = 1): string => `${(bytes / MiB).toFixed(digits)} MiB`;
export const formatSignedMiB = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${formatMiB(Math.abs(bytes))}`;
export const formatPct = (pct: number): string => `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(2)}%`;
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

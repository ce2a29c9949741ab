// One theme for every chart: the page's colours (CSS custom properties, so light, dark and the
// toggle all reach the canvas), the series and phase colours, and a hook to redraw on a change.
import type { ChartOptions } from 'chart.js';
import type { PhaseName } from '../../../shared/run-record.js';

/** Series colours: mid-tone, readable on the light and the dark background alike. */
export const SERIES = {
  rss: '#1f9fe0',
  heapLevel: '#e0531f',
  heapUsed: '#ff8a5b',
  heapTotal: '#d69a1e',
  arrayBuffers: '#a35ee8',
  blocks: '#2faa5e',
} as const;

/** Runs overlaid in a comparison, in order. */
export const RUN_COLORS = ['#1f9fe0', '#ff7a45', '#2faa5e', '#a35ee8', '#d69a1e', '#e8457f', '#4b8fb0', '#8a9a1e'];

export const PHASE_COLORS: Record<PhaseName, string> = {
  baseline: '#8b9bb0',
  allocate: '#ff8a5b',
  unreference: '#c28bff',
  collect: '#5fd38d',
  trim: '#f0b44c',
  settle: '#4cc2ff',
};

/** The breakdown's stacked parts, in stacking order; a watch also splits out the stacks. */
export const PART_COLORS = {
  brkHeap: '#e09b1e', arenaHeaps: '#c8553d', stacks: '#4b8fb0', anonMappings: '#a35ee8', fileMappings: '#6b7b90', otherMappings: '#9aa6b5',
} as const;

/** A watch's probes on its timeline: the colours of the phases that do the same in a run. */
export const PROBE_COLORS = { gc: PHASE_COLORS.collect, trim: PHASE_COLORS.trim } as const;

/**
 * The accounting's stacked parts (views/accounting-bars.ts): live, free in the runtime, and the C
 * allocator's parts as shades of one amber (glibc's and jemalloc's never share a run), the brk heap
 * the same as the mapping bars' [heap]. Bars get a border in the panel colour so shades stay apart.
 */
export const ACCOUNTING_COLORS = {
  live: '#e8457f',
  freeInRuntime: '#a35ee8',
  brkHeapFree: '#e09b1e',
  threadArenasFree: '#a8700c',
  jemallocDirty: '#f0b44c',
  jemallocMuzzy: '#c98f2a',
  jemallocPinned: '#9c6b12',
  jemallocMetadata: '#6e4c0c',
  allocatorOther: '#d8b878',
  rest: '#6b7b90',
  unexplained: '#4b8fb0',
} as const;

export interface PageColors {
  bg: string;
  panel: string;
  text: string;
  muted: string;
  grid: string;
}

export function pageColors(): PageColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { bg: v('--bg', '#0f1419'), panel: v('--panel', '#171e26'), text: v('--text', '#dfe6ee'), muted: v('--muted', '#8b9bb0'), grid: v('--line', '#263241') };
}

/** What theming needs of a chart, whatever its type (line, bar). */
interface AnyChart {
  readonly options: object;
  readonly canvas: HTMLCanvasElement;
  update(mode?: 'none'): void;
}

/** Axis, grid, legend and title colours of a chart, from the page. */
export function themeChart(chart: AnyChart): void {
  const c = pageColors();
  const options = chart.options as ChartOptions;
  for (const scale of Object.values(options.scales ?? {})) {
    if (!scale) continue;
    if (scale.grid) scale.grid.color = c.grid;
    if (scale.ticks) scale.ticks.color = c.muted;
    if ('title' in scale && scale.title) scale.title.color = c.muted;
  }
  const plugins = options.plugins;
  if (plugins?.legend?.labels) plugins.legend.labels.color = c.text;
  if (plugins?.title) plugins.title.color = c.text;
  chart.update('none');
}

const listeners = new Set<() => void>();
/** Calls `redraw` whenever the theme changes (toggle or the system's preference). */
export function onThemeChange(redraw: () => void): void {
  listeners.add(redraw);
}
export function themeChanged(): void {
  for (const redraw of listeners) redraw();
}

/** The chart's canvas as a PNG on the page's background (a bare canvas is transparent). */
export function chartPng(chart: AnyChart): string {
  const src = chart.canvas;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = pageColors().bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);
  return out.toDataURL('image/png');
}

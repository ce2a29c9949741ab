// What the run chart shows as HTML beside its canvas: the tooltip (readable, selectable,
// testable) and the legend (laid out once, not on every frame as Chart.js's own would be).
import type { Chart, ChartDataset, TooltipModel } from 'chart.js';
import { el } from '../dom.js';
import type { Point } from './series-buffer.js';

/** The tooltip beside the cursor, kept inside the chart. */
export function showTooltip(box: HTMLElement, tooltip: TooltipModel<'line'>, chart: Chart<'line', Point[]>): void {
  if (tooltip.opacity === 0) {
    box.hidden = true;
    return;
  }
  box.replaceChildren(el('b', {}, tooltip.title.join(' ')), ...tooltip.body.flatMap((b) => b.lines).map((line) => el('div', {}, line)));
  box.hidden = false;
  const { offsetLeft, offsetTop } = chart.canvas;
  const flip = tooltip.caretX > chart.width / 2;
  box.style.left = `${offsetLeft + tooltip.caretX + (flip ? -12 - box.offsetWidth : 12)}px`;
  box.style.top = `${offsetTop + Math.max(0, tooltip.caretY - 20)}px`;
}

/**
 * The series that have data (the first, RSS, always), as list items with their colour; rebuilt
 * only when that set changes. Returns the key of the set now shown.
 */
export function renderLegend(list: HTMLElement, datasets: readonly ChartDataset<'line', Point[]>[], shownKey: string): string {
  const shown = datasets.filter((d, i) => i === 0 || d.data.length > 0);
  const key = shown.map((d) => d.label).join('|');
  if (key === shownKey) return key;
  list.replaceChildren(...shown.map((d) => {
    // Points drawn without a line (the verdict's live markers) get a diamond, not a stroke.
    const swatch = el('span', { className: d.showLine === false ? 'swatch marker' : 'swatch' });
    swatch.style.background = String(d.borderColor); // CSSOM: the CSP forbids inline style attributes
    return el('li', {}, swatch, d.label ?? '');
  }));
  return key;
}

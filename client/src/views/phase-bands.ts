// A Chart.js plugin that shades and labels each phase of a run (or each probe of a watch) behind
// the lines, and draws marks (the worker's exit, a watch's markers) as dashed vertical lines.
import type { Chart, Plugin } from 'chart.js';
import { pageColors } from './chart-theme.js';

export interface Band {
  /** Drawn at the band's top: a phase's name, or what a probe returned. */
  label: string;
  /** #rrggbb: the band is shaded with it. */
  color: string;
  /** The label in the page's text colour rather than the band's (long labels stay legible on either theme). */
  textOnPage?: boolean;
  /** Seconds since run start. */
  start: number;
  /** Undefined while the phase runs: the band reaches the newest data. */
  end?: number;
}

const LABEL_FONT = '12px system-ui, sans-serif';

export interface Mark {
  /** Seconds since run start. */
  at: number;
  label: string;
}

export function phaseBandsPlugin<T extends 'line' = 'line'>(getBands: () => readonly Band[], getMarks: () => readonly Mark[] = () => []): Plugin<T> {
  /** Where each band's label goes, found behind the lines and written over them (afterDatasetsDraw). */
  let labels: { text: string; x: number; y: number; color: string; right?: boolean }[] = [];
  return {
    id: 'phaseBands',
    beforeDatasetsDraw(chart: Chart<T>) {
      const { ctx, chartArea, scales } = chart;
      const x = scales.x;
      labels = [];
      if (!x || !chartArea) return;
      ctx.save();
      ctx.font = LABEL_FONT;
      // Phases can be a fraction of a pixel wide (unreference, collect): labels that would overlap
      // go to the next free row instead.
      const rowEnds: number[] = [];
      const { text, muted } = pageColors();
      for (const band of getBands()) {
        const left = Math.max(chartArea.left, x.getPixelForValue(band.start));
        const right = Math.min(chartArea.right, x.getPixelForValue(band.end ?? x.max));
        if (right <= left - 1) continue;
        const width = Math.max(1, right - left); // instant phases still get a visible line
        ctx.fillStyle = `${band.color}26`;
        ctx.fillRect(left, chartArea.top, width, chartArea.bottom - chartArea.top);
        ctx.fillStyle = band.color;
        ctx.fillRect(left, chartArea.top, width, 3);
        const textWidth = ctx.measureText(band.label).width;
        let row = rowEnds.findIndex((end) => end < left);
        if (row === -1) row = rowEnds.length;
        rowEnds[row] = left + 3 + textWidth + 4;
        labels.push({ text: band.label, x: left + 3, y: chartArea.top + 6 + row * 15, color: band.textOnPage ? text : band.color });
      }
      for (const mark of getMarks()) {
        const at = x.getPixelForValue(mark.at);
        if (at < chartArea.left || at > chartArea.right) continue;
        ctx.strokeStyle = muted;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(at, chartArea.top);
        ctx.lineTo(at, chartArea.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        labels.push({ text: mark.label, x: at - 3, y: chartArea.bottom - 16, color: muted, right: true });
      }
      ctx.restore();
    },
    // Over the lines, each on a halo of the chart's background: a label stacked over a short
    // phase's band often sits where the RSS line passes, and was drawn under it.
    afterDatasetsDraw(chart: Chart<T>) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = LABEL_FONT;
      ctx.textBaseline = 'top';
      ctx.lineWidth = 3;
      ctx.lineJoin = 'round';
      ctx.strokeStyle = pageColors().panel;
      for (const label of labels) {
        ctx.textAlign = label.right ? 'right' : 'left';
        ctx.strokeText(label.text, label.x, label.y);
        ctx.fillStyle = label.color;
        ctx.fillText(label.text, label.x, label.y);
      }
      ctx.restore();
    },
  };
}

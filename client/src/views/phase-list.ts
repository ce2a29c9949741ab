// The phases as text under the chart: name and duration, the running one marked.
import type { ReadonlySignal } from '@preact/signals-core';
import type { Phase } from '../../../shared/run-record.js';
import { el } from '../dom.js';
import { watch } from '../state/store.js';
import { PHASE_COLORS } from './chart-theme.js';

const duration = (ms: number) => `${ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;

export function phaseListView(container: HTMLElement, phases: ReadonlySignal<readonly Phase[]>, now: ReadonlySignal<number>): void {
  let items: HTMLLIElement[] = [];
  watch(() => {
    const list = phases.value;
    // Only a running phase needs the clock (its duration grows).
    const at = list.some((p) => p.end === undefined) ? now.value : 0;
    // Items are kept and their text set in place: the clock ticks 10 times a second mid-run.
    if (items.length !== list.length || items.some((li, i) => li.dataset.phase !== list[i]!.name)) {
      items = list.map((p) => {
        const li = el('li', { dataset: { phase: p.name } });
        li.style.borderColor = PHASE_COLORS[p.name];
        return li;
      });
      container.replaceChildren(...items);
    }
    list.forEach((p, i) => {
      const li = items[i]!;
      // A phase that began after the clock's last tick (it ticks every 100 ms) has run 0 ms, not less.
      const text = `${p.name} ${duration(Math.max(0, (p.end ?? at) - p.start))}`;
      if (li.textContent !== text) li.textContent = text;
      li.dataset.active = String(p.end === undefined);
    });
  });
}

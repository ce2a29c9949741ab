// The phases as text under the chart: name and duration, the running one marked.
import type { Phase } from '../../shared/run-record.js';
import { PHASE_COLORS } from './phase-bands.js';

export function renderPhaseList(container: HTMLElement, phases: readonly Phase[], nowMs: number): void {
  container.replaceChildren(
    ...phases.map((p) => {
      const li = document.createElement('li');
      const ms = (p.end ?? nowMs) - p.start;
      li.dataset.phase = p.name;
      li.dataset.active = String(p.end === undefined);
      li.style.borderColor = PHASE_COLORS[p.name];
      li.textContent = `${p.name} ${ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
      return li;
    }),
  );
}

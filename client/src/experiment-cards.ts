// One card per experiment: what it does, why its memory does or does not come back, its
// parameters as bounded inputs, and a Run button.
import type { Knobs } from '../../shared/knobs.js';
import type { Experiment } from '../../shared/catalog/experiment.js';
import type { Params } from '../../shared/run-record.js';
import { el } from './dom.js';
import { renderKnobInputs } from './knob-inputs.js';

export interface CardsOptions {
  onRun(experiment: Experiment, params: Params, knobs: Knobs): Promise<void>;
}

export interface Cards {
  /** Disables every Run button while the server is unreachable (during a run, Run queues). */
  setBusy(busy: boolean): void;
}

export function renderCards(container: HTMLElement, catalog: readonly Experiment[], { onRun }: CardsOptions): Cards {
  const buttons: { button: HTMLButtonElement; available: boolean }[] = [];
  container.replaceChildren(
    ...catalog.map((experiment) => {
      const inputs = experiment.params.map((p) =>
        el('input', { type: 'number', name: p.name, min: String(p.min), max: String(p.max), step: '1', value: String(p.default), required: true }),
      );
      const knobInputs = renderKnobInputs(experiment.knobs);
      const error = el('div', { className: 'error', role: 'alert' });
      const button = el('button', { type: 'button', textContent: 'Run' });
      button.dataset.experiment = experiment.id;
      buttons.push({ button, available: experiment.available });
      button.disabled = !experiment.available;
      button.addEventListener('click', () => {
        error.textContent = '';
        const bad = inputs.find((input) => !input.checkValidity());
        if (bad) {
          error.textContent = `${bad.name}: ${bad.validationMessage}`;
          return;
        }
        const knobs = knobInputs.read();
        if (!knobs.ok) {
          error.textContent = knobs.error;
          return;
        }
        const params = Object.fromEntries(inputs.map((input) => [input.name, Number(input.value)]));
        onRun(experiment, params, knobs.knobs).catch((e: Error) => (error.textContent = e.message));
      });
      return el(
        'article',
        { className: 'card' },
        el('span', { className: 'runtime' }, experiment.runtime),
        el('h3', {}, experiment.title),
        el('p', {}, experiment.description),
        el('details', {}, el('summary', {}, 'Why?'), el('p', { className: 'why' }, experiment.why)),
        el(
          'div',
          { className: 'params' },
          ...experiment.params.map((p, i) => el('label', { title: `${p.min} … ${p.max}` }, `${p.label} [${p.min.toLocaleString()}…${p.max.toLocaleString()}]`, inputs[i]!)),
        ),
        knobInputs.element,
        experiment.available ? '' : el('div', { className: 'unavailable' }, `Unavailable: ${experiment.unavailableReason ?? 'not on this machine'}`),
        button,
        error,
      );
    }),
  );
  return {
    setBusy(busy) {
      for (const { button, available } of buttons) button.disabled = busy || !available;
    },
  };
}

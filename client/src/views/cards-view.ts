// One card per experiment: what it does, why its memory does or does not come back, its
// parameters and settle time as bounded inputs, its allocator knobs, and a Run button named for
// the experiment. The card of the run in progress is marked, with its progress (items allocated of
// N when the worker reports it), so the user sees it start even when the chart is off screen.
import type { Experiment } from '../../../shared/catalog/experiment.js';
import { SETTLE_MS } from '../../../shared/limits.js';
import type { CreateRunBody } from '../../../shared/protocol/http.js';
import type { Actions } from '../controller.js';
import { el, setData, setProp, setText } from '../dom.js';
import { formatCount } from '../format.js';
import { signal } from '@preact/signals-core';
import { isLive } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { renderKnobInputs } from './knob-inputs.js';

interface Card {
  article: HTMLElement;
  button: HTMLButtonElement;
  matrixButton: HTMLButtonElement;
  state: HTMLElement;
  progress: HTMLProgressElement;
  available: boolean;
}

type Body = Omit<CreateRunBody, 'sampleHz'>;

function card(experiment: Experiment, start: (body: Body) => Promise<void>, startMatrix: (body: Omit<Body, 'knobs'>) => Promise<void>): Card {
  const number = (name: string, min: number, max: number, value: number) =>
    el('input', { type: 'number', name, min: String(min), max: String(max), step: '1', value: String(value), required: true, inputMode: 'numeric' });
  const inputs = experiment.params.map((p) => number(p.name, p.min, p.max, p.default));
  const settle = number('settleMs', SETTLE_MS.min, SETTLE_MS.max, SETTLE_MS.default);
  const knobInputs = renderKnobInputs(experiment.knobs);
  const error = el('div', { className: 'error', role: 'alert' });
  const button = el('button', { type: 'button', textContent: 'Run', ariaLabel: `Run ${experiment.title}`, disabled: !experiment.available, dataset: { experiment: experiment.id } });
  const state = el('span', { className: 'card-state', role: 'status' });
  const progress = el('progress', { hidden: true, max: 1, value: 0, ariaLabel: `${experiment.title}: allocation progress` });
  // The matrix runs every allocator setting itself: it takes the params and settle, not the knobs.
  const matrixButton = el('button', {
    type: 'button', className: 'secondary', textContent: 'Compare allocators', disabled: !experiment.available,
    ariaLabel: `Compare allocators for ${experiment.title}`, title: 'Run this under every allocator setting and show which gives the memory back',
    dataset: { matrix: experiment.id },
  });
  const launch = (withKnobs: boolean, go: (body: Body) => Promise<void>) => {
    error.textContent = '';
    const bad = [...inputs, settle].find((input) => !input.checkValidity());
    if (bad) return void (error.textContent = `${bad.name}: ${bad.validationMessage}`);
    const knobs = knobInputs.read();
    if (withKnobs && !knobs.ok) return void (error.textContent = knobs.error);
    const params = Object.fromEntries(inputs.map((input) => [input.name, Number(input.value)]));
    state.textContent = 'starting…';
    go({ experiment: experiment.id, params, settleMs: Number(settle.value), ...(withKnobs && knobs.ok && Object.keys(knobs.knobs).length > 0 ? { knobs: knobs.knobs } : {}) })
      .catch((e: Error) => {
        state.textContent = '';
        error.textContent = e.message;
      });
  };
  button.addEventListener('click', () => launch(true, start));
  matrixButton.addEventListener('click', () => launch(false, startMatrix));
  const label = (text: string, title: string, input: HTMLInputElement) => el('label', { title }, text, input);
  const article = el(
    'article',
    { className: 'card', ariaLabel: experiment.title },
    el('span', { className: 'runtime' }, experiment.runtime),
    el('h3', {}, experiment.title),
    el('p', {}, experiment.description),
    el('details', {}, el('summary', {}, 'Why?'), el('p', { className: 'why' }, experiment.why)),
    el(
      'div',
      { className: 'params' },
      ...experiment.params.map((p, i) => label(`${p.label}${p.unit ? ` (${p.unit})` : ''} [${formatCount(p.min)}…${formatCount(p.max)}]`, `${p.min} … ${p.max}`, inputs[i]!)),
      label(`settle (ms) [${formatCount(SETTLE_MS.min)}…${formatCount(SETTLE_MS.max)}]`, 'How long the run idles after collect, so lazy releases can be seen', settle),
    ),
    knobInputs.element,
    experiment.available ? '' : el('div', { className: 'unavailable' }, `Unavailable: ${experiment.unavailableReason ?? 'not on this machine'}`),
    el('div', { className: 'card-actions' }, button, matrixButton, state, progress),
    error,
  );
  return { article, button, matrixButton, state, progress, available: experiment.available };
}

export function cardsView(container: HTMLElement, store: Store, actions: Actions, sampleHz: () => number): void {
  const catalog = store.select((s) => s.catalog);
  const canRun = store.select((s) => s.connection.state === 'open' && s.ready);
  const active = store.select((s) => {
    const shown = s.shown;
    if (!isLive(shown)) return { running: undefined, progress: undefined, queued: s.queue };
    return { running: shown.info, progress: shown.heap.at(-1)?.progress, queued: s.queue };
  });
  // Rebuilt with the catalog; the marks below are set again on each new set of cards.
  const cards = signal(new Map<string, Card>());
  watch(() => {
    const list = catalog.value;
    container.setAttribute('aria-busy', String(!list));
    if (!list) return void container.replaceChildren(el('p', { className: 'loading' }, 'Loading experiments…'));
    const { start, startMatrix } = actions;
    cards.value = new Map(list.map((e) => [e.id, card(e,
      async (body) => (start ? start({ ...body, sampleHz: sampleHz() }) : undefined),
      async (body) => (startMatrix ? startMatrix({ ...body, sampleHz: sampleHz() }) : undefined))]));
    container.replaceChildren(...[...cards.peek().values()].map((c) => c.article));
  });
  watch(() => {
    const ok = canRun.value && actions.start !== undefined;
    for (const c of cards.value.values()) {
      setProp(c.button, 'disabled', !ok || !c.available); // during a run, Run queues the next one
      setProp(c.matrixButton, 'disabled', !ok || !c.available || actions.startMatrix === undefined);
    }
  });
  watch(() => {
    const { running, progress, queued } = active.value;
    for (const [id, c] of cards.value) {
      const isRunning = running?.experiment === id;
      const waiting = queued.filter((r) => r.experiment === id).length;
      setData(c.article, 'running', String(isRunning));
      setText(c.state, isRunning ? `running${progress ? ` · ${formatCount(progress[0])} of ${formatCount(progress[1])}` : ''}` : waiting ? `${waiting} queued` : c.state.textContent === 'starting…' ? 'starting…' : '');
      setProp(c.progress, 'hidden', !(isRunning && progress));
      if (isRunning && progress) {
        setProp(c.progress, 'max', Math.max(1, progress[1]));
        setProp(c.progress, 'value', progress[0]);
      }
    }
  });
}

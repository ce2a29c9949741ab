// The user's saved custom experiments, in the catalog tagged "yours": run one as saved, open it
// in the "Your code" card to edit, export it as JSON, or delete it (after a confirmation).
import type { SavedExperiment } from '../../../shared/custom/code.js';
import type { CustomActions } from '../custom-actions.js';
import { el } from '../dom.js';
import { watch, type Store } from '../state/store.js';

export function savedExperimentsView(container: HTMLElement, store: Store, custom: CustomActions, sampleHz: () => number): void {
  const view = store.select((s) => ({ answer: s.custom, ready: s.connection.state === 'open' && s.ready }));
  const say = (text: string) => store.dispatch({ type: 'notice', text });
  const card = (e: SavedExperiment, canRun: boolean) => {
    const draft = { runtime: e.runtime, code: e.code, name: e.name, savedId: e.id, knobs: e.knobs, settleMs: e.settleMs };
    const act = (text: string, label: string, onClick: () => Promise<unknown> | void, className = 'secondary') => {
      const b = el('button', { type: 'button', textContent: text, ariaLabel: `${label} ${e.name}`, className });
      b.addEventListener('click', () => void Promise.resolve(onClick()).catch((error: Error) => say(`${e.name}: ${error.message}`)));
      return b;
    };
    const run = act('Run', 'Run', () => custom.run(draft, sampleHz()), '');
    run.disabled = !canRun;
    return el('article', { className: 'card yours', ariaLabel: e.name, dataset: { saved: e.id } },
      el('span', { className: 'runtime' }, e.runtime, ' ', el('span', { className: 'tag' }, 'yours')),
      el('h3', {}, e.name),
      el('pre', { className: 'code-peek' }, e.code.allocate.split('\n').slice(0, 3).join('\n')),
      el('div', { className: 'card-actions' }, run, act('Edit', 'Edit', () => custom.edit(draft)), act('Export', 'Export', () => custom.exportSaved(e)),
        act('Delete', 'Delete', () => (confirm(`Delete your experiment "${e.name}"? This cannot be undone.`) ? custom.remove(e.id) : undefined), 'link danger')));
  };
  watch(() => {
    const { answer, ready } = view.value;
    container.hidden = !answer || answer.experiments.length === 0;
    container.replaceChildren(...(answer?.experiments ?? []).map((e) => card(e, ready && answer!.code.allowed)));
  });
}

// The runs waiting behind the one in progress, each with its own cancel, and "cancel all queued".
import { el, setProp } from '../dom.js';
import type { Actions } from '../controller.js';
import { watch, type Store } from '../state/store.js';
import { runLabel } from './history-view.js';

export function queueView(list: HTMLElement, cancelAll: HTMLButtonElement, store: Store, actions: Actions): void {
  const view = store.select((s) => ({ queue: s.queue, mine: s.mine }));
  cancelAll.addEventListener('click', () => actions.cancelQueued());
  watch(() => {
    const { queue, mine } = view.value;
    setProp(cancelAll, 'hidden', queue.length < 2);
    if (queue.length === 0 && list.childElementCount === 0) return;
    list.replaceChildren(
      ...queue.map((r, i) => {
        const cancel = el('button', { type: 'button', className: 'link danger', textContent: 'cancel', ariaLabel: `Cancel queued run ${runLabel(r)}` });
        cancel.addEventListener('click', () => actions.cancel(r.id));
        return el('li', { dataset: { runId: r.id } }, `#${r.queuePosition ?? i + 1} ${runLabel(r)}${mine.has(r.id) ? ' (yours)' : ''} `, cancel);
      }),
    );
  });
}

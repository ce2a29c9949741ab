// The address and the state agree: #/runs/<id> opens that run, and the run on screen is written
// back to the address (without a history entry per run).
import { watch, type Store } from '../state/store.js';

export const runIdFromHash = (hash = location.hash): string | undefined => /^#\/runs\/([a-z0-9-]+)$/.exec(hash)?.[1];

/**
 * Writes the address when the page is next idle (within 500 ms): a replaceState costs Chromium's
 * main thread ~5 ms, and the run that just started is streaming its first samples then.
 */
function whenIdle(write: () => void): () => void {
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    write();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    if (typeof requestIdleCallback === 'function') requestIdleCallback(flush, { timeout: 500 });
    else setTimeout(flush, 0);
  };
}

export function routeSync(store: Store): void {
  window.addEventListener('hashchange', () => store.dispatch({ type: 'route', id: runIdFromHash() }));
  const view = store.select((s) => ({ id: s.shown?.info.id, route: s.route }));
  const write = whenIdle(() => {
    const { id, route } = view.value;
    if (id && location.hash !== `#/runs/${id}`) history.replaceState(null, '', `#/runs/${id}`);
    // Nothing shown and no run asked for (the shown one was deleted): a bare address. A link to a
    // run that could not be shown keeps its address, so the user sees which one it was.
    if (!id && !route && location.hash) history.replaceState(null, '', location.pathname + location.search);
  });
  watch(() => {
    void view.value; // what the address follows
    write();
  });
}

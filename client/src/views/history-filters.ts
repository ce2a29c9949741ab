// The history's filters (experiment, runtime, verdict, status, free text) and its pager with the
// count. Built once, so typing in the search field keeps its focus while pages come and go; each
// change dispatches a history-view (back to the first page) or a history-turn.
import { CUSTOM_EXPERIMENT } from '../../../shared/custom/facts.js';
import { RECORD_RUNTIMES } from '../../../shared/runtimes.js';
import { RUN_STATUSES, VERDICTS } from '../../../shared/run-record.js';
import { el } from '../dom.js';
import { countText, type HistoryView, type ViewChange } from '../state/history.js';
import { watch, type Store } from '../state/store.js';

/** Typing settles this long before the page is asked for. */
const SEARCH_DEBOUNCE_MS = 250;

/** Named history-<field>: the cards' forms have fields called runtime and experiment too. */
function choice(label: string, name: keyof HistoryView, values: readonly string[], store: Store): HTMLSelectElement {
  const select = el('select', { name: `history-${name}`, ariaLabel: label }, el('option', { value: '' }, `any ${label}`), ...values.map((v) => el('option', { value: v }, v)));
  select.addEventListener('change', () => store.dispatch({ type: 'history-view', view: { [name]: select.value } as ViewChange }));
  return select;
}

export function historyFilters(store: Store): { bar: HTMLElement; pager: HTMLElement } {
  const experiment = choice('experiment', 'experiment', [], store);
  const runtime = choice('runtime', 'runtime', RECORD_RUNTIMES, store);
  const verdict = choice('verdict', 'verdict', VERDICTS, store);
  const status = choice('status', 'status', RUN_STATUSES, store);
  const search = el('input', { type: 'search', name: 'history-q', placeholder: 'search experiment, params, knobs', ariaLabel: 'Search runs', maxLength: 200 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => store.dispatch({ type: 'history-view', view: { q: search.value.trim() } }), SEARCH_DEBOUNCE_MS);
  });
  const clear = el('button', { type: 'button', className: 'secondary small', textContent: 'Clear filters' });
  clear.addEventListener('click', () => {
    search.value = '';
    store.dispatch({ type: 'history-view', view: { experiment: '', runtime: '', verdict: '', status: '', q: '' } });
  });

  const count = el('span', { className: 'history-count', role: 'status' });
  const button = (text: string, to: 'first' | 'previous' | 'next') => {
    const b = el('button', { type: 'button', className: 'secondary small', textContent: text });
    b.addEventListener('click', () => store.dispatch({ type: 'history-turn', to }));
    return b;
  };
  const first = button('Newest', 'first');
  const previous = button('‹ Previous', 'previous');
  const next = button('Next ›', 'next');

  const catalogIds = store.select((s) => (s.catalog ?? []).map((e) => e.id));
  watch(() => {
    const ids = catalogIds.value;
    const keep = experiment.value;
    // Runs of the user's own code and watches of a process are listed under these two.
    const all = [...ids, CUSTOM_EXPERIMENT, 'watch'];
    experiment.replaceChildren(el('option', { value: '' }, 'any experiment'), ...all.map((id) => el('option', { value: id }, id)));
    experiment.value = keep;
  });
  const view = store.select((s) => s.history);
  watch(() => {
    const h = view.value;
    for (const [select, key] of [[experiment, 'experiment'], [runtime, 'runtime'], [verdict, 'verdict'], [status, 'status']] as const) select.value = h.view[key] ?? '';
    count.textContent = countText(h);
    count.dataset.state = h.error ? 'error' : h.loading !== undefined ? 'loading' : 'ready';
    first.disabled = previous.disabled = h.trail.length === 0;
    next.disabled = h.next === undefined;
  });
  return {
    bar: el('div', { className: 'history-filters', role: 'search' }, experiment, runtime, verdict, status, search, clear),
    pager: el('div', { className: 'history-pager' }, count, first, previous, next),
  };
}

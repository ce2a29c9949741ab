// The stored runs, a page at a time (any number of them: the server pages and filters, see
// state/history.ts): open one, tick several to compare, delete one (after a confirmation), sort by
// date or by Overall. Runs from imported files are listed above the server's page.
import type { RunInfo } from '../../../shared/run-record.js';
import type { RunSort } from '../../../shared/protocol/http.js';
import type { Actions } from '../controller.js';
import { el } from '../dom.js';
import { formatPct } from '../format.js';
import type { HistoryView } from '../state/history.js';
import { watch, type Store } from '../state/store.js';
import { historyFilters } from './history-filters.js';

export function runLabel(run: RunInfo): string {
  const params = Object.entries(run.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(' ');
  return `${run.experiment} ${params}`;
}

/** The knobs a run was asked to run under, short: "trim, allocator=jemalloc", or "defaults". */
export function knobsLabel(run: RunInfo): string {
  const entries = Object.entries(run.knobs ?? {}).filter(([, v]) => v !== undefined && v !== false);
  return entries.length === 0 ? 'defaults' : entries.map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(', ');
}

/** A column header that sorts by it; again on the same column flips the order. */
function sortHeader(text: string, sort: RunSort, view: HistoryView, store: Store): HTMLElement {
  const active = view.sort === sort;
  const arrow = active ? (view.order === 'desc' ? ' ↓' : ' ↑') : '';
  const button = el('button', { type: 'button', className: 'link sort', textContent: `${text}${arrow}`, ariaLabel: `Sort by ${text}` });
  button.addEventListener('click', () => store.dispatch({ type: 'history-view', view: { sort, order: active && view.order === 'desc' ? 'asc' : 'desc' } }));
  return el('th', { scope: 'col', ariaSort: active ? (view.order === 'desc' ? 'descending' : 'ascending') : 'none' }, button);
}

export function historyView(container: HTMLElement, compareButton: HTMLButtonElement, store: Store, actions: Actions): void {
  const { bar, pager } = historyFilters(store);
  const table = el('div', { className: 'history-rows' });
  container.replaceChildren(bar, pager, table);
  const view = store.select((s) => ({ history: s.history, runs: s.runs, selected: s.selected, shownId: s.shown?.info.id }));
  compareButton.addEventListener('click', () => store.dispatch({ type: 'compare', ids: [...store.state.value.selected] }));
  watch(() => {
    const { history, runs, selected, shownId } = view.value;
    compareButton.disabled = selected.size < 2;
    compareButton.textContent = `Compare selected (${selected.size})`;
    const imported = [...runs.values()].filter((e) => e.origin === 'file').sort((a, b) => b.run.createdAt - a.run.createdAt);
    // The page's rows as the server sent them, with what this page learnt since (an end, a store).
    const entries = [...imported, ...history.runs.map((run) => runs.get(run.id) ?? { run, origin: 'server' as const })];
    if (entries.length === 0) {
      table.replaceChildren(el('p', { className: 'empty' }, history.loading !== undefined ? 'Loading…' : history.total === 0 && !history.view.q && !history.view.experiment ? 'No runs yet.' : 'No runs match.'));
      return;
    }
    const rows = entries.map(({ run, origin }) => {
      const label = runLabel(run);
      const tick = el('input', { type: 'checkbox', checked: selected.has(run.id), ariaLabel: `Select ${label} to compare` });
      tick.addEventListener('change', () => store.dispatch({ type: 'select', id: run.id, on: tick.checked }));
      const open = el('button', { type: 'button', className: 'link', textContent: label });
      open.addEventListener('click', () => store.dispatch({ type: 'open', id: run.id }));
      const remove = el('button', { type: 'button', className: 'link danger', textContent: origin === 'file' ? 'remove' : 'delete', ariaLabel: `Delete ${label}` });
      remove.addEventListener('click', () => {
        if (run.status === 'running' || run.status === 'queued') return store.dispatch({ type: 'notice', text: 'cancel the run before deleting it' });
        if (confirm(`Delete run ${run.id} (${run.experiment})? This cannot be undone.`)) void actions.remove(run.id);
      });
      const s = run.summary;
      const tags = [
        origin === 'file' ? el('span', { className: 'tag' }, 'imported') : '',
        run.unsaved ? el('span', { className: 'tag unsaved', title: run.unsaved }, 'not saved') : '',
      ];
      return el(
        'tr',
        { dataset: { runId: run.id, status: run.status, current: String(run.id === shownId) } },
        el('td', {}, tick),
        el('td', {}, open, ...tags),
        el('td', {}, run.runtime),
        el('td', { className: 'knobs' }, knobsLabel(run)),
        el('td', {}, new Date(run.createdAt).toLocaleString()),
        el('td', { className: 'num' }, s ? formatPct(s.overallPct) : '—'),
        el('td', { className: 'num' }, s ? formatPct(s.finalPct) : '—'),
        el('td', {}, s ? s.verdict : run.status),
        el('td', {}, remove),
      );
    });
    const th = (text: string) => el('th', { scope: 'col' }, text);
    table.replaceChildren(
      el('table', { className: 'history-table', ariaBusy: String(history.loading !== undefined) },
        el('caption', { className: 'visually-hidden' }, `Stored runs, sorted by ${history.view.sort === 'date' ? 'date' : 'Overall'}`),
        el('thead', {}, el('tr', {}, th(''), th('run'), th('runtime'), th('knobs'), sortHeader('date', 'date', history.view, store),
          sortHeader('Overall', 'overall', history.view, store), th('after settle'), th('verdict'), th(''))),
        el('tbody', {}, ...rows)),
    );
  });
}

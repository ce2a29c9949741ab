// The stored runs, a page at a time (any number of them: the server pages and filters, see
// state/history.ts): open one, tick several to compare, delete one (after a confirmation), sort by
// date or by Overall. Runs from imported files are listed above the server's page.
import type { RunSort } from '../../../shared/protocol/http.js';
import { isEnded, type RunInfo } from '../../../shared/run-record.js';
import type { Actions } from '../controller.js';
import { el, setProp, setText } from '../dom.js';
import { formatPct } from '../format.js';
import type { HistoryEntry } from '../state/dashboard-state.js';
import type { HistoryView } from '../state/history.js';
import { watch, type Store } from '../state/store.js';
import { historyFilters } from './history-filters.js';
import { watchName } from './watch-panels.js';

export function runLabel(run: Pick<RunInfo, 'experiment' | 'params' | 'codeHash' | 'customName'> & Partial<Pick<RunInfo, 'watch'>>): string {
  if (run.watch) return watchName(run); // "watch pid 4242 (python3)"
  // A custom run: its name, and the start of its code's hash (the same code, the same hash).
  if (run.codeHash) return `${run.customName ?? 'your code'} #${run.codeHash.slice(0, 8)}`;
  const params = Object.entries(run.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(' ');
  return `${run.experiment} ${params}`;
}

/** The knobs a run was asked to run under, short: "trim, allocator=jemalloc", or "defaults". */
export function knobsLabel(run: RunInfo): string {
  if (run.watch) return `${run.watch.target.allocator} malloc${run.watch.gdbProbes.allowed ? ', gdb probes allowed' : ''}`;
  const entries = Object.entries(run.knobs ?? {}).filter(([, v]) => v !== undefined && v !== false);
  return entries.length === 0 ? 'defaults' : entries.map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(', ');
}

/** The header row; date and Overall sort (again on the same column flips the order). */
function headerRow(view: HistoryView, store: Store): HTMLTableRowElement {
  const sortable = (text: string, sort: RunSort) => {
    const active = view.sort === sort;
    const button = el('button', { type: 'button', className: 'link sort', textContent: `${text}${active ? (view.order === 'desc' ? ' ↓' : ' ↑') : ''}`, ariaLabel: `Sort by ${text}` });
    button.addEventListener('click', () => store.dispatch({ type: 'history-view', view: { sort, order: active && view.order === 'desc' ? 'asc' : 'desc' } }));
    return el('th', { scope: 'col', ariaSort: active ? (view.order === 'desc' ? 'descending' : 'ascending') : 'none' }, button);
  };
  const th = (text: string) => el('th', { scope: 'col' }, text);
  return el('tr', {}, th(''), th('run'), th('runtime'), th('knobs'), sortable('date', 'date'), sortable('Overall', 'overall'), th('after settle'), th('verdict'), th(''));
}

/** A run of an allocator matrix opens its matrix's table too. */
function matrixLink(store: Store, id: string): HTMLElement {
  const link = el('button', { type: 'button', className: 'link', textContent: 'matrix', title: 'Show the allocator matrix this run belongs to', dataset: { matrixId: id } });
  link.addEventListener('click', () => store.dispatch({ type: 'matrix-open', id }));
  return link;
}

export function historyView(container: HTMLElement, compareButton: HTMLButtonElement, store: Store, actions: Actions): void {
  const { bar, pager } = historyFilters(store);
  // Matrices the source knows (the live server's): a report's runs keep their matrixId but have no matrix to open.
  const view = store.select((s) => ({ history: s.history, runs: s.runs, selected: s.selected, shownId: s.shown?.info.id, matrices: s.matrices }));
  compareButton.addEventListener('click', () => store.dispatch({ type: 'compare', ids: [...store.state.value.selected] }));
  // Rows are kept per run and rebuilt only when their run, selection or "on screen" mark changes:
  // replacing the whole table at each run's start and end cost a full-page layout.
  const rows = new Map<string, { key: readonly unknown[]; tr: HTMLTableRowElement }>();
  const thead = el('thead');
  const tbody = el('tbody');
  const caption = el('caption', { className: 'visually-hidden' });
  const table = el('table', { className: 'history-table' }, caption, thead, tbody);
  const empty = el('p', { className: 'empty' });
  container.replaceChildren(bar, pager, table);
  let headerOf: HistoryView | undefined;
  watch(() => {
    const { history, runs, selected, shownId, matrices } = view.value;
    setProp(compareButton, 'disabled', selected.size < 2);
    setText(compareButton, `Compare selected (${selected.size})`);
    if (headerOf !== history.view) {
      headerOf = history.view;
      thead.replaceChildren(headerRow(history.view, store));
      setText(caption, `Stored runs, sorted by ${history.view.sort === 'date' ? 'date' : 'Overall'}`);
    }
    setProp(table, 'ariaBusy', String(history.loading !== undefined));
    const imported = [...runs.values()].filter((e) => e.origin === 'file').sort((a, b) => b.run.createdAt - a.run.createdAt);
    // The page's rows as the server sent them, with what this page learnt since (an end, a store).
    const entries = [...imported, ...history.runs.map((run): HistoryEntry => runs.get(run.id) ?? { run, origin: 'server' })];
    const filtered = Object.keys(history.view).some((k) => k !== 'sort' && k !== 'order');
    setText(empty, history.loading !== undefined && history.total === 0 ? 'Loading…' : filtered ? 'No runs match these filters.' : 'No runs yet.');
    const shown = entries.length === 0 ? empty : table;
    if (container.lastChild !== shown) container.replaceChildren(bar, pager, shown);
    const trs = entries.map((entry) => {
      const matrixId = entry.run.matrixId !== undefined && matrices.has(entry.run.matrixId) ? entry.run.matrixId : undefined;
      const key = [entry.run, entry.origin, selected.has(entry.run.id), entry.run.id === shownId, matrixId];
      const kept = rows.get(entry.run.id);
      if (kept && kept.key.every((k, i) => k === key[i])) return kept.tr;
      const tr = row(entry, selected.has(entry.run.id), entry.run.id === shownId, matrixId);
      rows.set(entry.run.id, { key, tr });
      return tr;
    });
    const onPage = new Set(entries.map((e) => e.run.id));
    for (const id of rows.keys()) if (!onPage.has(id)) rows.delete(id);
    if (trs.length !== tbody.children.length || trs.some((tr, i) => tbody.children[i] !== tr)) tbody.replaceChildren(...trs);
  });

  function row({ run, origin }: HistoryEntry, isSelected: boolean, isShown: boolean, matrixId: string | undefined): HTMLTableRowElement {
    const label = runLabel(run);
    const tick = el('input', { type: 'checkbox', checked: isSelected, ariaLabel: `Select ${label} to compare` });
    tick.addEventListener('change', () => store.dispatch({ type: 'select', id: run.id, on: tick.checked }));
    const open = el('button', { type: 'button', className: 'link', textContent: label });
    open.addEventListener('click', () => store.dispatch({ type: 'open', id: run.id }));
    const remove = el('button', { type: 'button', className: 'link danger', textContent: origin === 'file' ? 'remove' : 'delete', ariaLabel: `Delete ${label}` });
    remove.addEventListener('click', () => {
      if (run.status === 'running' || run.status === 'queued') return store.dispatch({ type: 'notice', text: 'cancel the run before deleting it' });
      if (confirm(`Delete run ${run.id} (${run.experiment})? This cannot be undone.`)) void actions.remove(run.id);
    });
    const s = run.summary;
    return el(
      'tr',
      { dataset: { runId: run.id, status: run.status, current: String(isShown) } },
      el('td', {}, tick),
      el('td', {}, open,
        origin === 'file' ? el('span', { className: 'tag' }, 'imported') : '',
        run.codeHash ? el('span', { className: 'tag' }, 'your code') : '',
        run.unsaved ? el('span', { className: 'tag unsaved', title: run.unsaved }, 'not saved') : ''),
      el('td', {}, run.runtime),
      el('td', { className: 'knobs' }, knobsLabel(run), ...(matrixId ? [' ', matrixLink(store, matrixId)] : [])),
      el('td', {}, new Date(run.createdAt).toLocaleString()),
      el('td', { className: 'num' }, s ? formatPct(s.overallPct) : '—'),
      el('td', { className: 'num' }, s ? formatPct(s.finalPct) : '—'),
      el('td', {}, s ? s.verdict : run.watch && isEnded(run) ? run.watch.verdict?.verdict ?? 'no verdict' : run.status),
      el('td', {}, remove),
    );
  }
}

// Every stored run: open one, tick several to compare, delete one (after a confirmation).
import type { RunInfo } from '../../../shared/run-record.js';
import type { Actions } from '../controller.js';
import { el, setProp, setText } from '../dom.js';
import { formatPct } from '../format.js';
import type { HistoryEntry } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
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

/** A run of an allocator matrix opens its matrix's table too. */
function matrixLink(store: Store, id: string): HTMLElement {
  const link = el('button', { type: 'button', className: 'link', textContent: 'matrix', title: 'Show the allocator matrix this run belongs to', dataset: { matrixId: id } });
  link.addEventListener('click', () => store.dispatch({ type: 'matrix-open', id }));
  return link;
}

export function historyView(container: HTMLElement, compareButton: HTMLButtonElement, store: Store, actions: Actions): void {
  // Matrices the source knows (the live server's): a report's runs keep their matrixId but have no matrix to open.
  const view = store.select((s) => ({ runs: s.runs, selected: s.selected, shownId: s.shown?.info.id, matrices: s.matrices }));
  compareButton.addEventListener('click', () => store.dispatch({ type: 'compare', ids: [...store.state.value.selected] }));
  // Rows are kept per run and rebuilt only when their run, selection or "on screen" mark changes:
  // replacing the whole table at each run's start and end cost a full-page layout.
  const rows = new Map<string, { key: readonly unknown[]; tr: HTMLTableRowElement }>();
  const tbody = el('tbody');
  const table = el('table', { className: 'history-table' },
    el('caption', { className: 'visually-hidden' }, 'Stored runs, newest first'),
    el('thead', {}, el('tr', {}, ...['', 'run', 'runtime', 'knobs', 'date', 'Overall', 'after settle', 'verdict', ''].map((h) => el('th', { scope: 'col' }, h)))),
    tbody);
  const empty = el('p', { className: 'empty' }, 'No runs yet.');
  watch(() => {
    const { runs, selected, shownId, matrices } = view.value;
    setProp(compareButton, 'disabled', selected.size < 2);
    setText(compareButton, `Compare selected (${selected.size})`);
    const entries = [...runs.values()].sort((a, b) => b.run.createdAt - a.run.createdAt);
    const shown = entries.length === 0 ? empty : table;
    if (container.firstChild !== shown || container.childNodes.length !== 1) container.replaceChildren(shown);
    const trs = entries.map((entry) => {
      const matrixId = entry.run.matrixId !== undefined && matrices.has(entry.run.matrixId) ? entry.run.matrixId : undefined;
      const key = [entry.run, entry.origin, selected.has(entry.run.id), entry.run.id === shownId, matrixId];
      const kept = rows.get(entry.run.id);
      if (kept && kept.key.every((k, i) => k === key[i])) return kept.tr;
      const tr = row(entry, selected.has(entry.run.id), entry.run.id === shownId, matrixId);
      rows.set(entry.run.id, { key, tr });
      return tr;
    });
    for (const id of rows.keys()) if (!runs.has(id)) rows.delete(id);
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
      el('td', {}, open, origin === 'file' ? el('span', { className: 'tag' }, 'imported') : '', run.codeHash ? el('span', { className: 'tag' }, 'your code') : ''),
      el('td', {}, run.runtime),
      el('td', { className: 'knobs' }, knobsLabel(run), matrixId ? matrixLink(store, matrixId) : ''),
      el('td', {}, new Date(run.createdAt).toLocaleString()),
      el('td', { className: 'num' }, s ? formatPct(s.overallPct) : '—'),
      el('td', { className: 'num' }, s ? formatPct(s.finalPct) : '—'),
      el('td', {}, s ? s.verdict : run.watch?.verdict?.verdict ?? run.status),
      el('td', {}, remove),
    );
  }
}

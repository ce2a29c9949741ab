// Every stored run: open one, tick several to compare, delete one (after a confirmation).
import type { RunInfo } from '../../shared/run-record.js';
import { el } from './dom.js';
import { formatPct } from './format.js';

export interface HistoryEntry {
  run: RunInfo;
  /** Loaded from a file in this browser, not stored on the server. */
  imported: boolean;
}

export interface HistoryActions {
  onOpen(id: string): void;
  onToggle(id: string, selected: boolean): void;
  onDelete(entry: HistoryEntry): void;
}

export function runLabel(run: RunInfo): string {
  const params = Object.entries(run.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(' ');
  return `${run.experiment} ${params}`;
}

/** The knobs a run was asked to run under, short: "trim, allocator=jemalloc", or "defaults". */
export function knobsLabel(run: RunInfo): string {
  const entries = Object.entries(run.knobs ?? {}).filter(([, v]) => v !== undefined && v !== false);
  return entries.length === 0 ? 'defaults' : entries.map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(', ');
}

export function renderHistory(container: HTMLElement, entries: readonly HistoryEntry[], selected: ReadonlySet<string>, shownId: string | undefined, actions: HistoryActions): void {
  if (entries.length === 0) {
    container.replaceChildren(el('p', { className: 'empty' }, 'No runs yet.'));
    return;
  }
  const rows = entries.map(({ run, imported }) => {
    const tick = el('input', { type: 'checkbox', checked: selected.has(run.id), title: 'select to compare' });
    tick.addEventListener('change', () => actions.onToggle(run.id, tick.checked));
    const open = el('button', { type: 'button', className: 'link', textContent: runLabel(run) });
    open.addEventListener('click', () => actions.onOpen(run.id));
    const remove = el('button', { type: 'button', className: 'link danger', textContent: imported ? 'remove' : 'delete', title: 'delete this run' });
    remove.addEventListener('click', () => actions.onDelete({ run, imported }));
    const s = run.summary;
    return el(
      'tr',
      { dataset: { runId: run.id, status: run.status, current: String(run.id === shownId) } },
      el('td', {}, tick),
      el('td', {}, open, imported ? el('span', { className: 'tag' }, 'imported') : ''),
      el('td', {}, run.runtime),
      el('td', { className: 'knobs' }, knobsLabel(run)),
      el('td', {}, new Date(run.createdAt).toLocaleString()),
      el('td', { className: 'num' }, s ? formatPct(s.overallPct) : '—'),
      el('td', { className: 'num' }, s ? formatPct(s.finalPct) : '—'),
      el('td', {}, s ? s.verdict : run.status),
      el('td', {}, remove),
    );
  });
  container.replaceChildren(
    el(
      'table',
      { className: 'history-table' },
      el('thead', {}, el('tr', {}, ...['', 'run', 'runtime', 'knobs', 'date', 'Overall', 'after settle', 'verdict', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows),
    ),
  );
}

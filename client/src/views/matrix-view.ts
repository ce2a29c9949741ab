// The allocator matrix on screen: one experiment under each allocator setting (shared/matrix.ts),
// as one table — peak, RSS after collect and after settle, what stayed, verdict, allocate time —
// with the setting that returns the most marked, the settings this machine skipped and why, and
// the overlay of the runs' RSS one click away (the comparison view). It fills in live as runs end.
import { isEnded } from '../../../shared/run-record.js';
import { bestSentence, type Matrix, type MatrixRow } from '../../../shared/matrix.js';
import { el } from '../dom.js';
import { formatCount, formatMiB, formatSignedMiB } from '../format.js';
import { matrixTable } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { runLabel } from './history-view.js';

export interface MatrixElements {
  section: HTMLElement;
  title: HTMLElement;
  overlay: HTMLButtonElement;
  close: HTMLButtonElement;
  body: HTMLElement;
}

const formatMs = (ms: number) => (ms < 10_000 ? `${formatCount(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const figure = (bytes: number | undefined) => (bytes === undefined ? '—' : formatMiB(bytes));

/** The runs worth overlaying: ended, so their line is whole (the comparison says why one has none). */
export const overlayIds = (matrix: Matrix): string[] => matrix.rows.filter((r) => isEnded(r)).map((r) => r.runId);

function row(r: MatrixRow, open: (id: string) => void): HTMLElement {
  const name = el('button', { type: 'button', className: 'link', textContent: r.setting, title: `Show run ${r.runId}` });
  name.addEventListener('click', () => open(r.runId));
  const setting = el('th', { scope: 'row' }, name, r.best ? el('span', { className: 'tag best-tag' }, '★ returns the most') : '');
  const figures = r.kept === undefined
    ? [el('td', { colSpan: 6, className: r.status === 'failed' || r.status === 'cancelled' ? 'missing' : 'note' }, r.error ? `${r.status}: ${r.error}` : r.status)]
    : [
      el('td', { className: 'num' }, figure(r.peak)),
      el('td', { className: 'num' }, figure(r.afterCollect)),
      el('td', { className: 'num' }, figure(r.afterSettle)),
      el('td', { className: 'num' }, formatSignedMiB(r.kept)),
      el('td', {}, r.verdict ?? '—'),
      el('td', { className: 'num' }, r.allocateMs === undefined ? '—' : formatMs(r.allocateMs)),
    ];
  return el('tr', { className: r.best ? 'best' : '', dataset: { setting: r.setting, runId: r.runId, status: r.status, best: String(r.best) } }, setting, ...figures);
}

function table(matrix: Matrix, open: (id: string) => void): HTMLElement {
  const heads = ['Setting', 'Peak', 'After collect', 'After settle', 'Kept (after settle − baseline)', 'Verdict', 'Allocate time'];
  return el('table', { className: 'compare-table matrix-table', ariaLabel: 'Allocator matrix' },
    el('caption', { className: 'visually-hidden' }, `${matrix.experiment} under each allocator setting; the setting that keeps the least after settle is marked`),
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...matrix.rows.map((r) => row(r, open))));
}

export function matrixView({ section, title, overlay, close, body }: MatrixElements, store: Store): void {
  const view = store.select((s) => s.matrixShown && { ...s.matrixShown, matrix: s.matrices.get(s.matrixShown.id) });
  const open = (id: string) => store.dispatch({ type: 'open', id });
  close.addEventListener('click', () => store.dispatch({ type: 'matrix-closed' }));
  overlay.addEventListener('click', () => {
    const matrix = matrixTable(store.state.value.matrices.get(store.state.value.matrixShown?.id ?? ''));
    if (matrix) store.dispatch({ type: 'compare', ids: overlayIds(matrix) });
  });
  let openedFor: string | undefined;
  watch(() => {
    const v = view.value;
    section.hidden = !v;
    if (!v) return void (openedFor = undefined);
    const info = v.matrix;
    title.textContent = info ? `Allocator matrix: ${runLabel(info)}` : 'Allocator matrix';
    const matrix = matrixTable(info);
    overlay.disabled = !matrix || overlayIds(matrix).length < 2;
    if (!matrix) return void body.replaceChildren(el('p', { className: 'note' }, v.error ?? 'Loading the matrix…'));
    const done = matrix.rows.filter((r) => isEnded(r)).length;
    body.replaceChildren(
      el('p', { className: 'note', role: 'status' }, done === matrix.rows.length
        ? `All ${done} settings ran. ${bestSentence(matrix.rows)}`
        : `${done} of ${matrix.rows.length} settings done; the table fills in as each run ends.`),
      el('p', { className: 'note' }, 'Kept = RSS after settle minus baseline; ★ marks the setting that kept the least.'),
      table(matrix, open),
      matrix.skipped.length === 0 ? '' : el('ul', { className: 'skipped', ariaLabel: 'Settings skipped' },
        ...matrix.skipped.map((s) => el('li', { dataset: { setting: s.setting } }, `${s.setting}: skipped — ${s.reason}`))),
    );
    if (openedFor !== v.id) section.scrollIntoView({ behavior: 'smooth', block: 'start' });
    openedFor = v.id;
  });
}

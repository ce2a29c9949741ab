// What can be done with the run on screen: cancel it, export it (JSON, CSV, PNG, a self-contained
// report), import someone else's, and replay it at 1×, 4× or 16×.
import { runToCsv, runToJson } from '../../../shared/run-export.js';
import type { Actions } from '../controller.js';
import { download, el, setProp, setText } from '../dom.js';
import { REPLAY_SPEEDS } from '../sources/replay-player.js';
import { watch, type Store } from '../state/store.js';

export interface ToolbarElements {
  bar: HTMLElement;
  cancel: HTMLButtonElement;
  message: HTMLElement;
  importInput: HTMLInputElement;
}

export interface Exporters {
  png(): string;
  /** A self-contained HTML report of these runs (absent where none can be built). */
  report?(ids: readonly string[]): Promise<string>;
}

export function toolbarView({ bar, cancel, message, importInput }: ToolbarElements, store: Store, actions: Actions, exporters: Exporters): void {
  const view = store.select((s) => ({ id: s.shown?.info.id, status: s.shown?.info.status, replay: s.shown?.replay }));
  const notice = store.select((s) => s.notice);
  const button = (label: string, onClick: () => void, extra: Record<string, unknown> = {}) => {
    const b = el('button', { type: 'button', className: 'secondary', textContent: label, ...extra });
    b.addEventListener('click', onClick);
    return b;
  };
  const record = async () => actions.load(store.state.value.shown!.info.id);
  const save = (what: string, work: () => Promise<void>) => work().catch((e: Error) => store.dispatch({ type: 'notice', text: `could not export ${what}: ${e.message}` }));
  const exports = [
    button('Export JSON', () => void save('JSON', async () => { const r = await record(); download(`memtide-${r.id}.json`, runToJson(r), 'application/json'); }), { id: 'export-json' }),
    button('Export CSV', () => void save('CSV', async () => { const r = await record(); download(`memtide-${r.id}.csv`, runToCsv(r), 'text/csv'); }), { id: 'export-csv' }),
    button('Export PNG', () => download(`memtide-${store.state.value.shown!.info.id}.png`, exporters.png()), { id: 'export-png' }),
  ];
  const report = exporters.report;
  if (report) {
    exports.push(button('Export report', () => void save('the report', async () => {
      const id = store.state.value.shown!.info.id;
      download(`memtide-report-${id}.html`, await report([id]), 'text/html');
    }), { id: 'export-report', title: 'One HTML file that opens from disk, with no server: chart, tables, verdict and settings' }));
  }
  const replays = REPLAY_SPEEDS.map((speed) => button(`${speed}×`, () => actions.replay(speed), { ariaLabel: `Replay at ${speed}× speed`, dataset: { replay: String(speed) } }));
  const importButton = button('Import JSON', () => importInput.click(), { id: 'import-button' });
  importInput.addEventListener('change', async () => {
    const file = importInput.files?.[0];
    importInput.value = '';
    if (file) actions.importFile(file.name, await file.text());
  });
  bar.prepend(...exports, el('span', { className: 'replay', role: 'group', ariaLabel: 'Replay' }, 'Replay ', ...replays), importButton);
  cancel.addEventListener('click', () => {
    const id = store.state.value.shown?.info.id;
    if (id) actions.cancel(id);
  });
  watch(() => {
    const { id, status, replay } = view.value;
    const ended = id !== undefined && status !== 'running' && status !== 'queued';
    for (const b of [...exports, ...replays]) setProp(b, 'disabled', !ended);
    setProp(cancel, 'hidden', status !== 'running');
    // Stopping a replay cancels nothing on the server: the button says which it does.
    setText(cancel, replay ? 'Stop replay' : 'Cancel');
  });
  watch(() => {
    setText(message, notice.value);
  });
}

// The code a custom run ran, exactly as recorded (with its sha256), and what it printed — as text,
// never as markup — under the run's table. Where runs can be started (not in a report): run the
// same code again in one click, or open it in the "Your code" card to change it.
import type { RunRecord } from '../../../shared/run-record.js';
import { CODE_FIELDS, OUTPUT_MAX_BYTES } from '../../../shared/custom/facts.js';
import type { Actions } from '../controller.js';
import type { CustomActions } from '../custom-actions.js';
import { el } from '../dom.js';
import { watch, type Store } from '../state/store.js';

/** The three fields and the output as elements (text only): also used by the comparison. */
export function codeBlocks(record: Pick<RunRecord, 'code' | 'codeHash' | 'output'>): HTMLElement[] {
  if (!record.code) return [];
  const fields = CODE_FIELDS.map((field) => el('div', { className: 'code-field' },
    el('div', { className: 'code-label' }, field), el('pre', { className: 'code-text', dataset: { field } }, record.code![field] || '(empty)')));
  const out = record.output;
  const output = !out || out.bytes === 0 ? el('p', { className: 'note' }, 'The code printed nothing.')
    : el('div', { className: 'code-field' },
      el('div', { className: 'code-label' }, `what it printed (stdout and stderr)${out.truncated ? ` — output cut at ${OUTPUT_MAX_BYTES / 1024} KiB of ${out.bytes.toLocaleString()} bytes` : ''}`),
      el('pre', { className: 'code-output' }, out.text));
  return [el('p', { className: 'note' }, `sha256 ${record.codeHash ?? 'n/a'}`), ...fields, output];
}

export function runCodeView(container: HTMLElement, store: Store, actions: Actions, custom?: CustomActions, sampleHz?: () => number): void {
  const view = store.select((s) => {
    const info = s.shown?.info;
    return info?.codeHash && info.status !== 'running' && info.status !== 'queued' ? { id: info.id, status: info.status } : undefined;
  });
  let seq = 0;
  watch(() => {
    const v = view.value;
    const mine = ++seq;
    container.hidden = !v;
    if (!v) return container.replaceChildren();
    actions.load(v.id).then((record) => {
      if (mine !== seq || !record.code || record.runtime === 'other') return;
      const draft = { runtime: record.runtime, code: record.code, name: record.customName, knobs: record.knobs, settleMs: record.settleMs, codeError: record.codeError };
      const buttons: HTMLElement[] = [];
      if (custom && actions.start) {
        const again = el('button', { type: 'button', textContent: 'Run this code again', className: 'run-again' });
        again.addEventListener('click', () => void custom.run(draft, sampleHz?.() ?? record.sampleHz).catch((e: Error) => store.dispatch({ type: 'notice', text: e.message })));
        const edit = el('button', { type: 'button', className: 'secondary', textContent: 'Edit in Your code' });
        edit.addEventListener('click', () => custom.edit(draft));
        buttons.push(el('div', { className: 'card-actions' }, again, edit));
      }
      container.replaceChildren(el('details', { open: true }, el('summary', {}, `The code this run ran${record.customName ? ` — ${record.customName}` : ''}`), ...codeBlocks(record), ...buttons));
    }, (error: Error) => mine === seq && container.replaceChildren(el('p', { className: 'failure' }, `could not load the code: ${error.message}`)));
  });
}

// The "Your code" card: three CodeMirror fields mapped onto the phases (setup before baseline,
// allocate, unreference), presets to start from, the runtime, settle and the allocator knobs, and
// Run / Save / Export / Import. It says plainly that the code runs with the server user's rights,
// and why it cannot run when the server refuses user code. An error of a run started here is
// marked on its line in the field it came from. Built after the first paint (mount-code.ts).
import type { KnobAvailability } from '../../../shared/catalog/experiment.js';
import { CODE_FIELDS, CUSTOM_NAME, DEFAULT_UNREFERENCE, type CodeField } from '../../../shared/custom/facts.js';
import { codeErrorReason, type CodeError, type CustomCode } from '../../../shared/custom/code.js';
import { PRESETS } from '../../../shared/custom/presets.js';
import type { Knobs } from '../../../shared/knobs.js';
import { SETTLE_MS } from '../../../shared/limits.js';
import type { Runtime } from '../../../shared/runtimes.js';
import type { CustomActions } from '../custom-actions.js';
import { el } from '../dom.js';
import { createCodeEditor, type CodeEditor } from '../editor/code-editor.js';
import type { CodeDraft } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { renderKnobInputs, type KnobInputs } from './knob-inputs.js';

const FIELD_LABELS: Record<CodeField, string> = {
  setup: 'setup — optional: imports and helpers; runs before baseline is measured',
  allocate: `allocate — leave what it allocates in ${CUSTOM_NAME}`,
  unreference: `unreference — drops ${CUSTOM_NAME}; empty means the default`,
};

export function codeCard(body: HTMLElement, store: Store, custom: CustomActions, sampleHz: () => number): void {
  const first = PRESETS[0]!;
  let runtime: Runtime = first.runtime;
  let savedId: string | undefined;
  const message = el('div', { className: 'code-message', role: 'status' });
  const say = (text: string, bad = false) => {
    message.textContent = text;
    message.dataset.bad = String(bad);
  };

  const runtimeSelect = el('select', { name: 'runtime' }, el('option', { value: 'python', textContent: 'Python (CPython)' }), el('option', { value: 'node', textContent: 'Node' }));
  const presetSelect = el('select', { name: 'preset' }, el('option', { value: '', textContent: 'Start from a preset…' }),
    ...PRESETS.map((p) => el('option', { value: p.id, textContent: p.title })));
  const name = el('input', { name: 'name', type: 'text', maxLength: 80, placeholder: 'name it to save it' });
  const settle = el('input', { name: 'settleMs', type: 'number', min: String(SETTLE_MS.min), max: String(SETTLE_MS.max), step: '1', value: String(SETTLE_MS.default), required: true });

  const editors = {} as Record<CodeField, CodeEditor>;
  const fields = CODE_FIELDS.map((field) => {
    const host = el('div', { className: 'code-editor', dataset: { field } });
    editors[field] = createCodeEditor(host, {
      runtime, doc: first.code[field], label: `${field} code`, placeholder: field === 'unreference' ? DEFAULT_UNREFERENCE[runtime] : '',
    });
    return el('div', { className: 'code-field' }, el('div', { className: 'code-label' }, FIELD_LABELS[field]), host);
  });

  // The knobs of the chosen runtime, as the catalog offers them on this machine.
  const knobsBox = el('div', { className: 'code-knobs' });
  let knobInputs: KnobInputs | undefined;
  const catalog = store.select((s) => s.catalog);
  const knobsFor = (r: Runtime): readonly KnobAvailability[] => catalog.peek()?.find((e) => e.runtime === r)?.knobs ?? [];
  /** The knobs of the draft last loaded (a saved experiment's), until the user changes them. */
  let draftKnobs: Knobs = {};
  const renderKnobs = () => {
    knobInputs = renderKnobInputs(knobsFor(runtime), draftKnobs);
    knobsBox.replaceChildren(knobInputs.element);
  };
  watch(() => {
    if (catalog.value) renderKnobs();
  });

  const setRuntime = (r: Runtime) => {
    runtime = r;
    runtimeSelect.value = r;
    editors.unreference.setRuntime(r, DEFAULT_UNREFERENCE[r]);
    for (const field of ['setup', 'allocate'] as const) editors[field].setRuntime(r);
    renderKnobs();
  };
  const load = (draft: CodeDraft) => {
    draftKnobs = draft.knobs ?? {};
    setRuntime(draft.runtime);
    for (const field of CODE_FIELDS) {
      editors[field].set(draft.code[field] ?? '');
      editors[field].clearMarks();
    }
    name.value = draft.name ?? '';
    savedId = draft.savedId;
    if (draft.settleMs !== undefined) settle.value = String(draft.settleMs);
    if (draft.codeError) mark(draft.codeError);
    say(draft.savedId ? `Editing "${draft.name}": Save updates it.` : '');
  };
  const mark = (error: CodeError) => {
    editors[error.field].mark(error.line ?? 1, error.column, `${error.type}: ${error.message}`);
    say(codeErrorReason(error), true);
  };
  runtimeSelect.addEventListener('change', () => {
    draftKnobs = {}; // another runtime's knobs may not apply
    setRuntime(runtimeSelect.value as Runtime);
  });
  presetSelect.addEventListener('change', () => {
    const preset = PRESETS.find((p) => p.id === presetSelect.value);
    if (preset) load({ runtime: preset.runtime, code: preset.code, name: '' });
    presetSelect.value = '';
  });

  /** The card as a draft, or why it cannot be one. */
  const draft = (): CodeDraft | string => {
    if (!settle.checkValidity()) return `settleMs: ${settle.validationMessage}`;
    const knobs = knobInputs?.read() ?? { ok: true as const, knobs: {} };
    if (!knobs.ok) return knobs.error;
    const code: CustomCode = { setup: editors.setup.get(), allocate: editors.allocate.get(), unreference: editors.unreference.get() };
    if (code.allocate.trim() === '') return 'allocate: write the code whose memory is measured';
    return { runtime, code, name: name.value.trim() || undefined, savedId, knobs: knobs.knobs, settleMs: Number(settle.value) };
  };
  const button = (text: string, onClick: () => Promise<unknown> | void, extra: Record<string, unknown> = {}) => {
    const b = el('button', { type: 'button', textContent: text, ...extra });
    b.addEventListener('click', () => {
      say('');
      Promise.resolve(onClick()).catch((e: Error) => say(e.message, true));
    });
    return b;
  };
  const run = button('Run your code', async () => {
    const d = draft();
    if (typeof d === 'string') return say(d, true);
    for (const field of CODE_FIELDS) editors[field].clearMarks();
    await custom.run(d, sampleHz());
    say('started — the chart on the right follows it');
  }, { className: 'run-code', ariaLabel: 'Run your code' });
  const save = (asNew: boolean) => async () => {
    const d = draft();
    if (typeof d === 'string') return say(d, true);
    if (!d.name) return say('name: give it a name to save it', true);
    const saved = await custom.save({ name: d.name, runtime: d.runtime, code: d.code, ...(d.knobs && Object.keys(d.knobs).length > 0 && { knobs: d.knobs }), settleMs: d.settleMs }, asNew ? undefined : savedId);
    savedId = saved.id;
    say(`saved "${saved.name}": it is in the catalog, tagged yours`);
  };
  const importInput = el('input', { type: 'file', accept: '.json,application/json', hidden: true, ariaLabel: 'Import a custom experiment (JSON)' });
  importInput.addEventListener('change', async () => {
    const file = importInput.files?.[0];
    importInput.value = '';
    if (!file) return;
    try {
      const saved = await custom.importText(file.name, await file.text());
      load({ runtime: saved.runtime, code: saved.code, name: saved.name, savedId: saved.id, settleMs: saved.settleMs });
      say(`imported "${saved.name}" from ${file.name}`);
    } catch (error) {
      say((error as Error).message, true);
    }
  });
  const exportButton = button('Export JSON', () => {
    const d = draft();
    if (typeof d === 'string') return say(d, true);
    custom.exportSaved({ name: d.name ?? 'my experiment', runtime: d.runtime, code: d.code, ...(d.knobs && Object.keys(d.knobs).length > 0 && { knobs: d.knobs }), settleMs: d.settleMs });
  }, { className: 'secondary' });

  const off = el('p', { className: 'code-off', role: 'alert', hidden: true });
  body.replaceChildren(
    el('p', { className: 'code-warning', role: 'note' },
      el('b', {}, 'This runs your code on the server\'s machine, with the rights of the user the memtide server runs as'),
      ' — in a worker process of its own, under the memory and wall-clock caps. Run only code you would run yourself.'),
    off,
    el('div', { className: 'code-controls' },
      el('label', {}, 'Runtime ', runtimeSelect), presetSelect, el('label', {}, 'Name ', name),
      el('label', { title: 'How long the run idles after collect' }, 'settle (ms) ', settle)),
    ...fields,
    knobsBox,
    el('div', { className: 'card-actions' }, run, button('Save', save(false), { className: 'secondary' }), button('Save as new', save(true), { className: 'secondary' }),
      exportButton, button('Import JSON', () => importInput.click(), { className: 'secondary' }), importInput),
    message,
  );

  const policy = store.select((s) => ({ code: s.custom?.code, ready: s.connection.state === 'open' && s.ready }));
  watch(() => {
    const { code, ready } = policy.value;
    off.hidden = !code || code.allowed;
    off.textContent = code && !code.allowed ? `Custom code is off on this server: ${code.reason ?? 'refused'}` : '';
    run.disabled = !ready || !code?.allowed;
  });
  const draftSignal = store.select((s) => s.codeDraft);
  let lastDraft = 0;
  watch(() => {
    const d = draftSignal.value;
    if (!d || d.seq === lastDraft) return;
    lastDraft = d.seq;
    load(d.draft);
  });
  // A run this page started that failed in the user's code: marked where it failed.
  const failed = store.select((s) => {
    const info = s.shown?.info;
    return info && s.mine.has(info.id) && info.status === 'failed' && info.codeError ? { id: info.id, error: info.codeError } : undefined;
  });
  let marked: string | undefined;
  watch(() => {
    const f = failed.value;
    if (!f || f.id === marked) return;
    marked = f.id;
    mark(f.error);
  });
}

// The allocator knobs of one experiment card: a checkbox, selects and number fields with their
// units. A field is disabled, with the reason beside it, when this machine lacks what it needs or
// when the chosen allocator ignores it (jemalloc's decay times under glibc, glibc's thresholds
// under jemalloc): the server would refuse the run. Blank means "leave the default".
import type { KnobAvailability } from '../../../shared/catalog/experiment.js';
import { KNOB_DEFS, onlyWithOf, type KnobName, type Knobs } from '../../../shared/knobs.js';
import { el } from '../dom.js';

export interface KnobInputs {
  element: HTMLElement;
  /** The knobs as set, or the first invalid field as "knobs.name: message". */
  read(): { ok: true; knobs: Knobs } | { ok: false; error: string };
}

type Field = { knob: KnobAvailability; input: HTMLInputElement | HTMLSelectElement; note: HTMLElement };

const isKnobName = (name: string): name is KnobName => Object.hasOwn(KNOB_DEFS, name);

function fieldFor(knob: KnobAvailability): Field {
  const common = { name: knob.name, title: knob.help };
  const note = el('small', { className: 'knob-note' });
  if (knob.kind === 'boolean') return { knob, note, input: el('input', { ...common, type: 'checkbox' }) };
  if (knob.kind === 'choice') {
    const select = el('select', common, el('option', { value: '', textContent: 'default' }), ...(knob.choices ?? []).map((c) => el('option', { value: c, textContent: c })));
    return { knob, note, input: select };
  }
  return { knob, note, input: el('input', { ...common, type: 'number', step: '1', min: String(knob.min), max: String(knob.max), placeholder: 'default', inputMode: 'numeric' }) };
}

/** Why a knob cannot apply now, or undefined when it can. */
function blocked(knob: KnobAvailability, allocator: string): string | undefined {
  if (!knob.available) return `unavailable: ${knob.unavailableReason}`;
  const only = isKnobName(knob.name) ? onlyWithOf(knob.name) : undefined;
  if (only === 'jemalloc' && allocator !== 'jemalloc') return 'only with allocator jemalloc';
  if (only === 'glibc' && allocator === 'jemalloc') return 'glibc only: jemalloc ignores it';
  return undefined;
}

/**
 * The knob editor, built the first time it is opened: twelve cards × eight fields are DOM the first
 * screen does not need (the cards must be on screen fast). Unopened, it reads as "no knobs set".
 */
export function renderKnobInputs(knobs: readonly KnobAvailability[], initial: Knobs = {}): KnobInputs {
  const element = el('details', { className: 'knobs' }, el('summary', {}, 'Allocator knobs'));
  let editor: KnobInputs | undefined;
  element.addEventListener('toggle', () => {
    if (editor || !element.open) return;
    editor = knobEditor(knobs, initial);
    element.append(...editor.element.childNodes);
  });
  return { element, read: () => editor?.read() ?? { ok: true, knobs: initial } };
}

/** `initial`: the values to start from (a saved custom experiment's knobs). */
function knobEditor(knobs: readonly KnobAvailability[], initial: Knobs): KnobInputs {
  const fields = knobs.map(fieldFor);
  for (const { knob, input } of fields) {
    const value = (initial as Record<string, unknown>)[knob.name];
    if (value === undefined) continue;
    if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = value === true;
    else input.value = String(value);
  }
  const allocatorField = fields.find((f) => f.knob.name === 'allocator');
  const refresh = () => {
    const allocator = allocatorField?.input.value || 'glibc';
    for (const { knob, input, note } of fields) {
      const why = blocked(knob, allocator);
      input.disabled = why !== undefined;
      note.textContent = why ? ` ${why}` : knob.effect === knob.label ? '' : ` ${knob.effect}`;
      input.title = why ? `${knob.label}: ${why}` : knob.help;
    }
  };
  allocatorField?.input.addEventListener('change', refresh);
  refresh();
  const element = el(
    'div',
    {},
    ...fields.map(({ knob, input, note }) =>
      el(
        'label',
        { className: knob.kind === 'boolean' ? 'knob check' : 'knob' },
        input,
        el('span', {}, knob.label, knob.unit ? el('span', { className: 'unit' }, ` (${knob.unit})`) : '', note),
      ),
    ),
  );
  return {
    element,
    read() {
      const knobs: Record<string, unknown> = {};
      for (const { knob, input } of fields) {
        if (input.disabled) continue;
        if (input instanceof HTMLInputElement && input.type === 'checkbox') {
          if (input.checked) knobs[knob.name] = true;
        } else if (input.value !== '') {
          if (!input.checkValidity()) return { ok: false, error: `knobs.${knob.name}: ${(input as HTMLInputElement).validationMessage}` };
          knobs[knob.name] = knob.kind === 'integer' ? Number(input.value) : input.value;
        }
      }
      return { ok: true, knobs: knobs as Knobs };
    },
  };
}

// The allocator knobs of one experiment card: a checkbox, selects and number fields, each disabled
// with the reason where this machine lacks what it needs. Blank means "leave the default".
import type { Knobs } from '../../shared/knobs.js';
import type { KnobAvailability } from '../../shared/catalog/experiment.js';
import { el } from './dom.js';

export interface KnobInputs {
  element: HTMLElement;
  /** The knobs as set, or the first invalid field as "name: message". */
  read(): { ok: true; knobs: Knobs } | { ok: false; error: string };
}

type Field = { knob: KnobAvailability; input: HTMLInputElement | HTMLSelectElement };

function fieldFor(knob: KnobAvailability): Field {
  const common = { name: knob.name, disabled: !knob.available, title: knob.available ? knob.help : `Unavailable: ${knob.unavailableReason}` };
  if (knob.kind === 'boolean') return { knob, input: el('input', { ...common, type: 'checkbox' }) };
  if (knob.kind === 'choice') {
    const select = el('select', common, el('option', { value: '', textContent: 'default' }), ...(knob.choices ?? []).map((c) => el('option', { value: c, textContent: c })));
    return { knob, input: select };
  }
  return { knob, input: el('input', { ...common, type: 'number', step: '1', min: String(knob.min), max: String(knob.max), placeholder: 'default' }) };
}

export function renderKnobInputs(knobs: readonly KnobAvailability[]): KnobInputs {
  const fields = knobs.map(fieldFor);
  const element = el(
    'details',
    { className: 'knobs' },
    el('summary', {}, 'Allocator knobs'),
    ...fields.map(({ knob, input }) =>
      el(
        'label',
        { className: knob.kind === 'boolean' ? 'knob check' : 'knob', title: input.title },
        input,
        el('span', {}, knob.label, el('small', {}, !knob.available ? ` unavailable: ${knob.unavailableReason}` : knob.effect === knob.label ? '' : ` ${knob.effect}`)),
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

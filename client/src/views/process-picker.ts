// "Watch a process": the processes this server's user may inspect (GET /api/processes), biggest RSS
// first, filtered by the same words as `memtide ps` (shared/process-filter.ts). One settings form
// (RSS rate, duration, the gdb opt-in) serves every row's Watch button; a process memtide will not
// watch is greyed out with the server's reason. Command lines are the processes' own: text only.
import { WATCH_LIMITS, SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../../../shared/limits.js';
import type { ProcessListAnswer } from '../../../shared/protocol/http.js';
import { matchesProcess } from '../../../shared/process-filter.js';
import type { ProcessEntry } from '../../../shared/watch-record.js';
import type { WatchActions } from '../controller.js';
import { el, setProp, setText } from '../dom.js';
import { formatCount, formatMiB } from '../format.js';
import { watch, type Store } from '../state/store.js';

export interface PickerElements {
  open: HTMLButtonElement;
  section: HTMLElement;
  status: HTMLElement;
  refresh: HTMLButtonElement;
  close: HTMLButtonElement;
  body: HTMLElement;
}

/** Rows drawn at most: a machine has hundreds of processes, and the filter finds the one meant. */
const MAX_ROWS = 200;
const RUNTIME_NAMES = { node: 'Node', python: 'CPython', other: 'other' } as const;

function settingsForm(): { form: HTMLElement; hz: HTMLInputElement; duration: HTMLInputElement; probes: HTMLInputElement; probesWhy: HTMLElement } {
  const hz = el('input', { id: 'watch-hz', name: 'sampleHz', type: 'number', min: String(SAMPLE_HZ_MIN), max: String(SAMPLE_HZ_MAX), step: '1', value: '1000', required: true });
  const duration = el('input', { id: 'watch-duration', name: 'durationS', type: 'number', min: '1', max: String(WATCH_LIMITS.maxDurationS), step: '1', placeholder: 'until stopped' });
  const probes = el('input', { id: 'watch-probes', name: 'probes', type: 'checkbox' });
  const probesWhy = el('small', { id: 'watch-probes-why', className: 'why-off' });
  probes.setAttribute('aria-describedby', probesWhy.id);
  const form = el('div', { className: 'watch-settings', role: 'group', ariaLabel: 'How to watch' },
    el('label', {}, 'RSS sample rate ', hz, ' Hz'),
    el('label', {}, 'Duration ', duration, ' s ', el('small', {}, `(empty: until stopped, or ${formatCount(WATCH_LIMITS.maxSamples)} samples)`)),
    el('label', { className: 'probes-opt-in' }, probes, ' Allow gdb probes (trim; GC in CPython): the process is stopped while gdb is attached, and a call into malloc could deadlock if one of its threads holds the malloc lock'),
    probesWhy);
  return { form, hz, duration, probes, probesWhy };
}

function row(p: ProcessEntry, watchButton: (p: ProcessEntry) => HTMLButtonElement): HTMLTableRowElement {
  const command = el('td', { className: 'command' }, el('code', { title: p.command }, p.command));
  if (p.refusal) command.append(el('small', { className: 'refusal' }, `not watchable: ${p.refusal}`));
  return el('tr', { dataset: { pid: String(p.pid), refused: String(p.refusal !== undefined) } },
    el('td', { className: 'num' }, String(p.pid)),
    el('td', {}, p.user ?? String(p.uid)),
    el('td', { className: 'num' }, formatMiB(p.rss)),
    el('td', {}, `${RUNTIME_NAMES[p.runtime]}${p.runtimeVersion ? ` ${p.runtimeVersion}` : ''}`),
    el('td', {}, p.allocator),
    command,
    el('td', {}, watchButton(p)));
}

export function processPickerView(els: PickerElements, store: Store, actions: WatchActions | undefined): void {
  if (!actions) return void (els.open.hidden = true);
  const picker = store.select((s) => s.processes);
  const settings = settingsForm();
  const filter = el('input', { id: 'process-filter', type: 'search', placeholder: 'pid, command, runtime, allocator or user', autocomplete: 'off' });
  const scope = el('p', { className: 'note' });
  const permissions = el('ul', { className: 'probe-permissions', ariaLabel: 'Probes on this server' });
  const alert = el('p', { className: 'watch-alert', role: 'alert' });
  const tbody = el('tbody');
  const more = el('p', { className: 'note' });
  const table = el('table', { className: 'process-table', ariaLabel: 'Processes you may watch' },
    el('thead', {}, el('tr', {}, ...['PID', 'user', 'RSS', 'runtime', 'allocator', 'command', ''].map((h) => el('th', { scope: 'col' }, h)))),
    tbody);
  els.body.replaceChildren(scope, permissions, settings.form, el('label', { className: 'filter' }, 'Filter ', filter), alert, table, more);

  const watchButton = (p: ProcessEntry) => {
    const button = el('button', { type: 'button', className: 'secondary small', textContent: 'Watch', ariaLabel: `Watch pid ${p.pid} (${p.comm})`, disabled: p.refusal !== undefined, title: p.refusal ?? '' });
    button.addEventListener('click', () => {
      setText(alert, '');
      const bad = [settings.hz, settings.duration].find((input) => !input.checkValidity());
      if (bad) return void setText(alert, `${bad.name}: ${bad.validationMessage}`);
      const body = { pid: p.pid, sampleHz: Number(settings.hz.value), probes: settings.probes.checked, ...(settings.duration.value && { durationS: Number(settings.duration.value) }) };
      button.disabled = true;
      actions.start(body).then(
        () => store.dispatch({ type: 'processes-open', open: false }),
        (e: Error) => setText(alert, `pid ${p.pid} not watched: ${e.message}`),
      ).finally(() => (button.disabled = false));
    });
    return button;
  };

  const render = (answer: ProcessListAnswer | undefined) => {
    const matching = (answer?.processes ?? []).filter((p) => matchesProcess(p, filter.value));
    tbody.replaceChildren(...matching.slice(0, MAX_ROWS).map((p) => row(p, watchButton)));
    setText(more, matching.length > MAX_ROWS ? `${matching.length - MAX_ROWS} more: narrow the filter.` : answer && matching.length === 0 ? 'No process matches.' : '');
  };
  filter.addEventListener('input', () => render(picker.peek().answer));
  els.open.addEventListener('click', () => store.dispatch({ type: 'processes-open', open: !picker.peek().open }));
  els.close.addEventListener('click', () => store.dispatch({ type: 'processes-open', open: false }));
  // Escape closes it from anywhere (focus leaves a Watch button while it is disabled for its request).
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !picker.peek().open) return;
    store.dispatch({ type: 'processes-open', open: false });
    els.open.focus();
  });
  els.refresh.addEventListener('click', () => store.dispatch({ type: 'processes-refresh' }));

  let drawn: ProcessListAnswer | undefined;
  let wasOpen = false;
  watch(() => {
    const { open, loading, answer, error } = picker.value;
    els.section.hidden = !open;
    els.open.setAttribute('aria-expanded', String(open));
    setProp(els.refresh, 'disabled', loading);
    setText(els.status, loading ? 'reading /proc…' : error ? `could not list processes: ${error}` : answer ? `${answer.processes.length} processes` : '');
    if (open && !wasOpen) {
      els.section.scrollIntoView({ behavior: 'smooth', block: 'start' });
      filter.focus();
    }
    wasOpen = open;
    if (!answer || answer === drawn) return;
    drawn = answer;
    setText(scope, `Listed: ${answer.scope}. Sorted by RSS, biggest first.`);
    const line = (what: string, p: ProcessListAnswer['gdbProbes']) => el('li', { dataset: { allowed: String(p.allowed) } }, `${what}: ${p.allowed ? 'available' : `off — ${p.reason ?? ''}`}`);
    permissions.replaceChildren(line('gdb probes (trim; GC in CPython)', answer.gdbProbes), line('Node GC through its inspector', answer.inspectorProbes));
    settings.probes.disabled = !answer.gdbProbes.allowed;
    if (!answer.gdbProbes.allowed) settings.probes.checked = false;
    setText(settings.probesWhy, answer.gdbProbes.allowed ? '' : `gdb probes are off: ${answer.gdbProbes.reason ?? ''}`);
    render(answer);
  });
}

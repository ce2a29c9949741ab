// What the user can do to a live watch: mark a moment, run a probe, stop. Probes are powers over
// someone's process: each button says why it is off, and before one runs a confirmation says what
// it does to the target, in the words the CLI prints (shared/probe-notice.ts). Refusals (4xx) are
// shown as the server words them; only the live server has these (a report has no actions.watch).
import { WATCH_LIMITS } from '../../../shared/limits.js';
import { probeNotice } from '../../../shared/probe-notice.js';
import { PROBE_KINDS, type ProbeKind } from '../../../shared/watch-record.js';
import type { WatchActions } from '../controller.js';
import { el, setProp, setText } from '../dom.js';
import { isLive } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';
import { probeBlock, PROBE_NAMES } from './probe-rules.js';

const BUTTON_TEXT: Record<ProbeKind, string> = { gc: 'GC', trim: 'Trim' };
const BUTTON_HELP: Record<ProbeKind, string> = {
  gc: 'Run a full garbage collection in the process, then read RSS again 1 s later',
  trim: 'Call malloc_trim(0) in the process through gdb, then read RSS again 1 s later',
};

export function watchControlsView(container: HTMLElement, store: Store, actions: WatchActions | undefined): void {
  if (!actions) return void (container.hidden = true);
  const view = store.select((s) => {
    const shown = s.shown;
    const live = shown?.watch && shown.origin === 'server' && isLive(shown) ? shown : undefined;
    return { info: live?.info, probes: live?.watch?.probes, ask: live && s.probeAsk?.id === live.info.id ? s.probeAsk : undefined };
  });
  const current = () => view.value.info;
  const alert = el('p', { className: 'watch-alert', role: 'alert' });
  const busy = el('p', { className: 'watch-busy', role: 'status' });
  const say = (text: string) => setText(alert, text);

  const label = el('input', { id: 'watch-marker-label', name: 'label', type: 'text', required: true, maxLength: WATCH_LIMITS.markerLabelMax, placeholder: 'deploy, load test…', autocomplete: 'off' });
  const addMarker = el('button', { type: 'submit', id: 'watch-add-marker', className: 'secondary', textContent: 'Add marker' });
  const markerForm = el('form', { className: 'marker-form', ariaLabel: 'Mark this moment' }, el('label', { htmlFor: 'watch-marker-label' }, 'Marker '), label, addMarker);
  markerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const info = current();
    if (!info || !label.value.trim()) return;
    say('');
    addMarker.disabled = true;
    actions.mark(info.id, label.value.trim()).then(() => (label.value = ''), (e: Error) => say(`Marker not added: ${e.message}`)).finally(() => (addMarker.disabled = false));
  });

  const probes = PROBE_KINDS.map((kind) => {
    const why = el('small', { id: `watch-${kind}-why`, className: 'why-off' });
    const button = el('button', { type: 'button', id: `watch-${kind}`, className: 'secondary', textContent: BUTTON_TEXT[kind], title: BUTTON_HELP[kind] });
    button.setAttribute('aria-describedby', why.id);
    button.addEventListener('click', () => {
      const info = current();
      if (!info?.watch) return;
      // The confirmation is the notice itself: what the probe does to this process, before it does it.
      if (!window.confirm(probeNotice(kind, info.watch.target, WATCH_LIMITS.probeTimeoutMs))) return;
      say('');
      void actions.probe(info.id, kind);
    });
    return { kind, button, why };
  });

  const stop = el('button', { type: 'button', id: 'watch-stop', className: 'cancel', textContent: 'Stop watching' });
  stop.addEventListener('click', () => {
    const info = current();
    if (!info) return;
    stop.disabled = true;
    setText(busy, 'stopping: the record is stored once a probe in flight has ended…');
    actions.stop(info.id).then(() => setText(busy, ''), (e: Error) => {
      setText(busy, '');
      say(`Could not stop: ${e.message}`);
    }).finally(() => (stop.disabled = false));
  });

  // Buttons on one line, each one's reason for being off on a line of its own under them.
  container.replaceChildren(
    markerForm,
    el('div', { className: 'probe-buttons', role: 'group', ariaLabel: 'Probes' }, ...probes.map((p) => p.button)),
    stop,
    el('div', { className: 'probe-reasons' }, ...probes.map((p) => p.why)),
    busy, alert,
  );

  let shownFor: string | undefined;
  let saidFor: unknown;
  watch(() => {
    const { info, probes: timeline, ask } = view.value;
    container.hidden = !info;
    if (!info) return;
    if (info.id !== shownFor) say(''); // a refusal belongs to the watch it was said for
    shownFor = info.id;
    const running = timeline?.find((p) => p.status === 'running');
    for (const { kind, button, why } of probes) {
      const block = probeBlock(info, timeline ?? [], kind, ask?.pending ?? false);
      setProp(button, 'disabled', block !== undefined);
      setText(why, block === undefined ? '' : `${PROBE_NAMES[kind]} is off: ${block}`);
    }
    const pending = running ?? (ask?.pending ? { kind: ask.kind } : undefined);
    setText(busy, pending ? `${PROBE_NAMES[pending.kind]} running in pid ${info.watch?.target.pid}: the buttons wait for it (its result shows on the chart 1 s after it ends)` : busy.textContent?.startsWith('stopping') ? busy.textContent : '');
    if (ask?.error && !ask.pending && ask !== saidFor) say(`Refused: ${ask.error}`);
    saidFor = ask;
  });
}

// One line under the title: what the run on screen is doing, or how it ended and how it was sampled.
// The queue is not repeated here (it has its own list).
import type { RunInfo } from '../../../shared/run-record.js';
import { el, setText } from '../dom.js';
import { formatSeconds } from '../format.js';
import type { ShownRun } from '../state/dashboard-state.js';
import { watch, type Store } from '../state/store.js';

/** The newest time the run's data reaches (ms): the clock of a live run, and of a replay too. */
export function latestTime(shown: ShownRun): number {
  const last = shown.samples.length > 0 ? shown.samples.xs[shown.samples.length - 1]! : shown.info.createdAt;
  return Math.max(last, ...shown.phases.map((p) => p.end ?? p.start));
}

export function statusText(shown: ShownRun, clock = latestTime(shown)): string {
  const { info, phases } = shown;
  const elapsed = formatSeconds(Math.max(0, (info.endedAt ?? clock) - info.createdAt));
  if (info.status === 'queued') return 'queued';
  if (info.status === 'running' && info.kind === 'watch') return `${shown.replay ? `replaying at ${shown.replay}× (stored watch)` : 'watching'} · ${elapsed} · ${shown.samples.length.toLocaleString()} RSS samples`;
  if (info.status === 'running') {
    const phase = phases.at(-1);
    // A replay says so: the stored run is not running again.
    return `${shown.replay ? `replaying at ${shown.replay}× (stored run)` : 'running'} · phase ${phase && phase.end === undefined ? phase.name : phase ? `after ${phase.name}` : 'starting'} · ${elapsed}`;
  }
  // Rounded as run.ts stores them (a watch's record, or an imported file, may hold the raw figures).
  const round = (x: number | undefined, digits: number) => (x === undefined ? '?' : Number(x.toFixed(digits)));
  const rate = info.achievedHz === undefined ? '' : `, ${round(info.achievedHz, 1)} Hz achieved, gap p99 ${round(info.sampleGapP99Ms, 2)} ms`;
  const ended = info.watch?.endReason ? ` · ${info.watch.endReason}` : '';
  const unsaved = info.unsaved ? ` · NOT SAVED: ${info.unsaved}` : '';
  return `${info.status}${ended}${unsaved} · ${elapsed} · ${shown.samples.length.toLocaleString()} RSS samples (${info.sampler}, ${info.sampleHz} Hz asked${rate})${info.error ? ` · ${info.error}` : ''}`;
}

/** Runs that ended but are not in the database yet (a full disk): said until they are. */
export function unsavedText(unsaved: readonly RunInfo[]): string {
  if (unsaved.length === 0) return '';
  const runs = unsaved.length === 1 ? '1 run is' : `${unsaved.length} runs are`;
  return `${runs} not saved — ${unsaved[0]!.unsaved}; kept by the server and written as soon as it can`;
}

export function statusLineView(container: HTMLElement, store: Store): void {
  // Re-rendered at most every 100 ms of run time, not on every 10 ms batch.
  const text = store.select((s) => (s.shown ? statusText(s.shown, Math.floor(latestTime(s.shown) / 100) * 100) : ''));
  const unsaved = store.select((s) => unsavedText(s.unsaved));
  const warning = el('span', { className: 'unsaved-warning' });
  const line = document.createTextNode('');
  container.replaceChildren(warning, line);
  watch(() => {
    setText(warning, unsaved.value ? `${unsaved.value} · ` : '');
    setText(line, text.value);
  });
}

// What is on screen, in words: the run's title and settings, or why nothing is (no run yet, a run
// this server does not know, a run that could not be loaded).
import type { Experiment } from '../../../shared/catalog/experiment.js';
import { describeSettings } from '../../../shared/knobs.js';
import type { RunInfo } from '../../../shared/run-record.js';
import { el } from '../dom.js';
import { watch, type Store } from '../state/store.js';

/** Two lines: what ran (experiment, params, runtime and version), and under which allocator settings. */
export function runTitle(run: RunInfo, catalog: readonly Experiment[] | undefined): [string, string] {
  if (run.watch) {
    const t = run.watch.target;
    return [`Watch: pid ${t.pid} (${t.comm}) · ${run.runtime} ${run.runtimeVersion ?? ''}`.trim(),
      `allocator ${t.allocator} · RSS at ${run.sampleHz} Hz · gdb probes ${run.watch.gdbProbes.allowed ? 'allowed' : 'off'}${run.watch.endReason ? ` · ended: ${run.watch.endReason}` : ''}`];
  }
  const experiment = catalog?.find((e) => e.id === run.experiment);
  const params = Object.entries(run.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(', ');
  const seen = [run.mallocLibrary && `malloc: ${run.mallocLibrary}`, run.objectAllocator && `objects: ${run.objectAllocator}`].filter(Boolean);
  const settle = run.settleMs === undefined ? '' : ` · settle ${run.settleMs} ms`;
  return [
    (run.codeHash ? `Your code: ${run.customName ?? 'unnamed'} (sha256 ${run.codeHash.slice(0, 12)}) · ${run.runtime} ${run.runtimeVersion ?? ''}`
      : `${experiment?.title ?? run.experiment} (${params}) · ${run.runtime} ${run.runtimeVersion ?? ''}`).trim(),
    `${describeSettings(run.workerEnv, run.knobs)}${seen.length > 0 ? ` (${seen.join(', ')})` : ''}${settle}`,
  ];
}

export function runTitleView(container: HTMLElement, store: Store): void {
  // Picks only (no formatting here): a select runs on every state change, 100 times a second mid-run.
  const view = store.select((s) => ({ info: s.shown?.info, catalog: s.catalog, problem: s.problem, fetching: s.fetching?.id, ready: s.ready, runs: s.runs.size }));
  watch(() => {
    const { info, catalog, problem, fetching, ready, runs } = view.value;
    container.dataset.state = info ? 'run' : problem ? 'problem' : 'empty';
    if (info) {
      const [what, settings] = runTitle(info, catalog);
      container.replaceChildren(what, el('span', { className: 'settings' }, settings));
    } else if (problem) {
      container.replaceChildren(`Run ${problem.id} could not be shown`, el('span', { className: 'settings' }, `${problem.error} — pick one from the history below.`));
    } else if (fetching || !ready) {
      container.replaceChildren(fetching ? `Loading run ${fetching}…` : 'Loading…');
    } else {
      container.replaceChildren(runs > 0 ? 'No run on screen — pick one from the history, or an experiment and press Run.' : 'No run yet — pick an experiment and press Run.');
    }
  });
}

// What the page does with user code: keeps the saved custom experiments and the code policy in the
// state, saves, deletes, imports and exports them, and starts custom runs through the controller's
// start (the one way a run is asked for).
import { CUSTOM_EXPERIMENT, parseSavedExperimentText, toExportFile, type SavedExperiment, type SavedExperimentBody } from '../../shared/custom/code.js';
import type { CreateRunBody } from '../../shared/protocol/http.js';
import type { Actions } from './controller.js';
import { download } from './dom.js';
import { deleteCustom, fetchCustom, saveCustom } from './sources/api.js';
import type { CodeDraft } from './state/dashboard-state.js';
import type { Store } from './state/store.js';

export interface CustomActions {
  refresh(): Promise<void>;
  /** Saves a new one, or replaces saved experiment `id`; answers the saved one. */
  save(body: SavedExperimentBody, id?: string): Promise<SavedExperiment>;
  remove(id: string): Promise<void>;
  /** Checks an export file (errors name the field) and saves it as a new experiment. */
  importText(fileName: string, text: string): Promise<SavedExperiment>;
  exportSaved(experiment: SavedExperimentBody): void;
  /** Starts a custom run of this code (sampleHz from the page's field). */
  run(draft: CodeDraft, sampleHz: number): Promise<void>;
  /** Hands code to the card's editors. */
  edit(draft: CodeDraft): void;
}

export function customActions(store: Store, actions: Actions): CustomActions {
  const refresh = async () => store.dispatch({ type: 'custom', answer: await fetchCustom() });
  const fileName = (name: string) => `memtide-code-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'experiment'}.json`;
  return {
    refresh,
    async save(body, id) {
      const saved = await saveCustom(body, id);
      await refresh();
      return saved;
    },
    async remove(id) {
      await deleteCustom(id);
      await refresh();
    },
    async importText(name, text) {
      const parsed = parseSavedExperimentText(text);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
      const saved = await saveCustom(parsed.body);
      await refresh();
      return saved;
    },
    exportSaved(experiment) {
      download(fileName(experiment.name), `${JSON.stringify(toExportFile(experiment), null, 2)}\n`, 'application/json');
    },
    async run(draft, sampleHz) {
      if (!actions.start) throw new Error('runs cannot be started here');
      const body: CreateRunBody = {
        experiment: CUSTOM_EXPERIMENT, runtime: draft.runtime, code: draft.code, sampleHz,
        ...(draft.knobs && Object.keys(draft.knobs).length > 0 && { knobs: draft.knobs }),
        ...(draft.settleMs !== undefined && { settleMs: draft.settleMs }),
        ...(draft.name && { name: draft.name }),
      };
      await actions.start(body);
    },
    edit(draft) {
      store.dispatch({ type: 'edit-code', draft });
    },
  };
}

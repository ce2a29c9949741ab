// /api/experiments/custom: the saved custom experiments (list, create, read, update, delete) and
// whether this server runs user code at all (the card says why not). Saving code runs nothing:
// these routes work even where custom runs are refused.
import { Router, type Request, type Response } from 'express';
import { parseSavedExperiment, SavedId, type CodePolicy } from '../shared/custom/code.js';
import type { CustomExperimentsAnswer } from '../shared/protocol/http.js';
import { quote } from '../shared/validation.js';
import { MAX_SAVED, type CustomStore } from './storage/custom-store.js';

function idParam(req: Request, res: Response): string | undefined {
  const id = SavedId.safeParse(req.params.id);
  if (id.success) return id.data;
  res.status(400).json({ error: `id: ${quote(String(req.params.id))} is not a saved experiment id (a-z, 0-9, -)` });
  return undefined;
}

const noSuch = (res: Response, id: string) => res.status(404).json({ error: `id: no saved experiment "${id}"` });

/** Database failures (a full disk, a read-only or damaged file) answer 500 with the reason, not a stack trace. */
function storing<T>(res: Response, work: () => T, doing = 'store the experiment'): T | undefined {
  try {
    return work();
  } catch (error) {
    res.status(500).json({ error: `could not ${doing}: ${(error as Error).message}` });
    return undefined;
  }
}

export function customExperimentsRouter(store: CustomStore, policy: CodePolicy): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const experiments = storing(res, () => store.list(), 'read the saved experiments');
    if (experiments) res.json({ code: policy, experiments } satisfies CustomExperimentsAnswer);
  });
  router.post('/', (req, res) => {
    const body = parseSavedExperiment(req.body);
    if (!body.ok) return void res.status(400).json({ error: body.error });
    const saved = storing(res, () => store.create(body.body));
    if (saved === 'full') res.status(409).json({ error: `there are already ${MAX_SAVED} saved experiments: delete one first` });
    else if (saved) res.status(201).json(saved);
  });
  router.get('/:id', (req, res) => {
    const id = idParam(req, res);
    if (id === undefined) return;
    const saved = storing(res, () => store.get(id), 'read the saved experiment');
    if (saved) res.json(saved);
    else if (!res.headersSent) noSuch(res, id);
  });
  router.put('/:id', (req, res) => {
    const id = idParam(req, res);
    if (id === undefined) return;
    const body = parseSavedExperiment(req.body);
    if (!body.ok) return void res.status(400).json({ error: body.error });
    const saved = storing(res, () => store.update(id, body.body));
    if (saved) res.json(saved);
    else if (saved === undefined && !res.headersSent) noSuch(res, id);
  });
  router.delete('/:id', (req, res) => {
    const id = idParam(req, res);
    if (id === undefined) return;
    const deleted = storing(res, () => store.delete(id));
    if (deleted === false) noSuch(res, id);
    else if (deleted) res.json({ ok: true });
  });
  return router;
}

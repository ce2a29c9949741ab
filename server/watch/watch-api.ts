// The HTTP routes of watches, mounted under /api by http-api.ts behind the same Host/Origin/token
// checks as every route (security.ts). Bodies are checked against shared/protocol/http.ts.
import { Router, type Response } from 'express';
import type { CreateWatchAnswer, ProcessListAnswer } from '../../shared/protocol/http.js';
import { RunId } from '../../shared/run-record.js';
import type { WatchRegistry } from './watch-registry.js';

type Result = { ok: true } | { ok: false; status: number; error: string };

function answer<T extends Result>(res: Response, result: T, ok: (r: Extract<T, { ok: true }>) => unknown, status = 200): void {
  if (result.ok) res.status(status).json(ok(result as Extract<T, { ok: true }>));
  else res.status((result as { status: number }).status).json({ error: (result as { error: string }).error });
}

export function watchApi(watches: WatchRegistry): Router {
  const router = Router();
  // Path ids never reach anything unchecked.
  router.param('id', (req, res, next, id) => {
    if (RunId.safeParse(id).success) next();
    else res.status(400).json({ error: `id: "${String(id).slice(0, 80)}" is not a watch id (a-z, 0-9, -)` });
  });
  // express 5 hands a rejected promise to the error handler (a JSON 500).
  router.get('/processes', async (_req, res) => {
    res.json((await watches.processes()) satisfies ProcessListAnswer);
  });
  router.get('/watches', (_req, res) => {
    res.json(watches.list());
  });
  router.post('/watches', async (req, res) => answer(res, await watches.create(req.body), (r) => ({ id: r.id }) satisfies CreateWatchAnswer, 201));
  router.get('/watches/:id', (req, res) => {
    const record = watches.get(req.params.id);
    if (record?.kind === 'watch') res.json(record);
    else res.status(404).json({ error: `id: no watch "${req.params.id}"` });
  });
  router.post('/watches/:id/markers', (req, res) => answer(res, watches.addMarker(req.params.id, req.body), (r) => r.marker, 201));
  router.post('/watches/:id/probe', async (req, res) => answer(res, await watches.probe(req.params.id, req.body), (r) => r.probe));
  router.post('/watches/:id/stop', async (req, res) => answer(res, await watches.stop(req.params.id), () => ({ ok: true })));
  return router;
}

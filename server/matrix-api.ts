// The allocator matrix over HTTP: POST /api/matrices starts one (every run queued, or 429 and none),
// GET /api/matrices lists them, GET /api/matrices/:id gives the table. Shapes in shared/protocol/http.ts.
import { Router } from 'express';
import type { CreateMatrixAnswer } from '../shared/protocol/http.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { REFUSAL_STATUS, runIdParam } from './http-api.js';
import { machine } from './machine.js';
import type { MatrixBook } from './matrix-book.js';
import { parseMatrixRequest } from './matrix-request.js';
import type { RunDefaults } from './run-request.js';

/** `announce`: where the new matrix is told to every client (the `matrix` event). */
export function matrixRoutes(book: MatrixBook, defaults: RunDefaults, announce: (message: ServerMessage) => void): Router {
  const router = Router();
  router.post('/matrices', (req, res) => {
    const parsed = parseMatrixRequest(req.body, machine(), defaults);
    if (!parsed.ok) return void res.status(400).json({ error: parsed.error });
    const { id, runs, skipped } = parsed.request;
    const result = book.submit(parsed.request);
    if (!result.ok) return void res.status(REFUSAL_STATUS[result.reason]).json({ error: result.error });
    const matrix = book.get(id);
    if (matrix) announce({ type: 'matrix', matrix });
    const answer: CreateMatrixAnswer = { id, runs: result.runs.map((r, i) => ({ ...r, setting: runs[i]!.matrix.setting })), skipped };
    res.status(201).json(answer);
  });
  router.get('/matrices', (_req, res) => {
    res.json(book.list());
  });
  router.get('/matrices/:id', (req, res) => {
    const id = runIdParam(req, res, 'matrix');
    if (id === undefined) return;
    const matrix = book.get(id);
    if (matrix) res.json(matrix);
    else res.status(404).json({ error: `id: no matrix "${id}"` });
  });
  return router;
}

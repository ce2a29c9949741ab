// The HTTP surface: /api/* as JSON, and the built client as static files.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { RunId } from '../shared/schemas.js';
import { availableCatalog } from './experiments.js';
import { clientDistDir } from './paths.js';
import type { RunRegistry } from './run-registry.js';
import { VERSION } from './version.js';

export const BODY_LIMIT = '64kb';

export function createHttpApp(registry: RunRegistry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/api', express.json({ limit: BODY_LIMIT, strict: true }));

  app.get('/api/health', (_req, res) => {
    res.json({ ok: true, version: VERSION });
  });
  app.get('/api/experiments', (_req, res) => {
    res.json(availableCatalog());
  });
  app.get('/api/runs', (_req, res) => {
    res.json(registry.list());
  });
  app.post('/api/runs', (req, res) => {
    const result = registry.create(req.body);
    if (result.ok) res.status(201).json({ id: result.id });
    else res.status(result.status).json({ error: result.error });
  });
  app.get('/api/runs/:id', (req, res) => {
    const id = RunId.safeParse(req.params.id);
    const run = id.success ? registry.get(id.data) : undefined;
    if (!run) res.status(404).json({ error: `id: no run "${req.params.id}"` });
    else res.json(run);
  });
  app.post('/api/runs/:id/cancel', (req, res) => {
    const id = RunId.safeParse(req.params.id);
    if (!id.success || !registry.cancel(id.data)) res.status(404).json({ error: `id: no run "${req.params.id}"` });
    else res.json({ ok: true });
  });
  app.delete('/api/runs/:id', (req, res) => {
    const id = RunId.safeParse(req.params.id);
    const result = id.success ? registry.delete(id.data) : 'missing';
    if (result === 'missing') res.status(404).json({ error: `id: no run "${req.params.id}"` });
    else if (result === 'running') res.status(409).json({ error: `run ${req.params.id} is running: cancel it first` });
    else res.json({ ok: true });
  });
  app.use('/api', (req, res) => {
    res.status(404).json({ error: `no API route ${req.method} ${req.path}` });
  });

  if (existsSync(clientDistDir)) {
    app.use(express.static(clientDistDir, { index: 'index.html' }));
    app.get(/^\/(?!api\/|ws$).*/, (_req, res) => res.sendFile(resolve(clientDistDir, 'index.html')));
  }
  app.use(jsonErrors);
  return app;
}

/** Body-parser and other errors leave as JSON with a status, never as an HTML stack trace. */
const jsonErrors: ErrorRequestHandler = (error: { status?: number; type?: string; message?: string }, _req, res, _next) => {
  const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
  const message =
    error.type === 'entity.too.large' ? `body: larger than ${BODY_LIMIT}`
    : error.type === 'entity.parse.failed' ? `body: not valid JSON (${error.message})`
    : status === 500 ? 'internal error' : `body: ${error.message}`;
  res.status(status).json({ error: message });
};

// The HTTP surface: /api/* as JSON, and the built client as static files.
import { existsSync } from 'node:fs';
import express, { type ErrorRequestHandler, type Express, type Request, type Response, type Router } from 'express';
import { CUSTOM_EXPERIMENT, type CodePolicy } from '../shared/custom/code.js';
import { ApiQuery, RunListQuery, type CreateRunAnswer } from '../shared/protocol/http.js';
import { RunId } from '../shared/run-record.js';
import { describeZodError, quote } from '../shared/validation.js';
import { requestCodeRefusal } from './code-policy.js';
import { sendInTurns } from './send-turns.js';
import { customExperimentsRouter } from './custom-api.js';
import { availableCatalog, machine } from './machine.js';
import { sendIndexPage } from './index-page.js';
import { clientDistDir } from './paths.js';
import type { RunRegistry, SubmitRefusal } from './run-registry.js';
import { parseRunRequest, type RunDefaults } from './run-request.js';
import { securityMiddleware, type SecurityOptions } from './security.js';
import type { CustomStore } from './storage/custom-store.js';
import { VERSION } from './version.js';

export const BODY_LIMIT = '64kb';
/** Bodies that carry code: three fields of up to 64 KiB each, JSON-escaped. */
export const CODE_BODY_LIMIT = '512kb';

/** User code: its saved experiments, and whether it may run here (code-policy.ts). */
export interface CustomCodeOptions {
  store: CustomStore;
  policy: CodePolicy;
}

/** The run (or matrix) id in the path, or undefined after answering 400: ids never reach the file system unchecked. */
export function runIdParam(req: Request, res: Response, what = 'run'): string | undefined {
  const id = RunId.safeParse(req.params.id);
  if (id.success) return id.data;
  res.status(400).json({ error: `id: ${quote(String(req.params.id))} is not a ${what} id (a-z, 0-9, -)` });
  return undefined;
}

/** A run's JSON: a stored one in pieces, in turns with the others (send-turns.ts); not send(), which would hash the whole body for an ETag. */
function sendJson(res: Response, json: string | Buffer[]): void {
  res.status(200).set('Content-Type', 'application/json; charset=utf-8');
  if (typeof json === 'string') res.end(json);
  else sendInTurns(res, json);
}

const noSuchRun = (res: Response, id: string) => res.status(404).json({ error: `id: no run "${id}"` });

export const REFUSAL_STATUS: Record<SubmitRefusal, number> = { 'shutting-down': 503, 'queue-full': 429, 'spawn-failed': 500, 'store-full': 503, 'store-damaged': 503 };

/** GET /api/runs takes filters and a cursor (RunListQuery); every other route only the token. */
const isRunList = (req: Request) => req.method === 'GET' && req.path === '/runs';

/** `routers`: more /api routes, each domain in its own module (matrix-api.ts, watch/watch-api.ts), behind the same checks; `custom`: user code (custom-api.ts, code-policy.ts). */
export function createHttpApp(registry: RunRegistry, defaults: RunDefaults = {}, security: SecurityOptions = {}, routers: Router[] = [], custom?: CustomCodeOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityMiddleware(security));
  app.use('/api', (req, res, next) => {
    const query = (isRunList(req) ? RunListQuery : ApiQuery).safeParse(req.query);
    if (!query.success) res.status(400).json({ error: describeZodError(query.error, 'query') });
    else next();
  });
  // First match parses: the two routes that take code get the larger limit, the rest 64 KiB.
  app.use(['/api/runs', '/api/experiments/custom'], express.json({ limit: CODE_BODY_LIMIT, strict: true }));
  app.use('/api', express.json({ limit: BODY_LIMIT, strict: true }));

  app.get('/api/health', (_req, res) => {
    res.json({ ok: true, version: VERSION });
  });
  app.get('/api/experiments', (_req, res) => {
    res.json(availableCatalog());
  });
  if (custom) app.use('/api/experiments/custom', customExperimentsRouter(custom.store, custom.policy));
  app.get('/api/runs', (req, res) => {
    const { token: _token, ...query } = RunListQuery.parse(req.query); // checked above
    // Without any paging or filter parameter: the bare array of every run it always gave (outside
    // scripts read it). With one: a page, { runs, total, next } (what the dashboard asks for).
    if (Object.keys(req.query as object).every((key) => key === 'token')) {
      try {
        return void res.json(registry.list());
      } catch (error) {
        return void res.status(500).json({ error: `could not list the runs: ${(error as Error).message}` });
      }
    }
    const result = registry.page(query);
    if (result.ok) res.json(result.page);
    else res.status(result.status).json({ error: result.error });
  });
  app.post('/api/runs', (req, res) => {
    if ((req.body as { experiment?: unknown } | undefined)?.experiment === CUSTOM_EXPERIMENT) {
      const refusal = custom ? requestCodeRefusal(custom.policy, req.socket.localAddress, security.token) : 'this server does not run user code';
      if (refusal) return void res.status(403).json({ error: `code: ${refusal}` });
    }
    const request = parseRunRequest(req.body, machine(), defaults);
    if (!request.ok) return void res.status(400).json({ error: request.error });
    const result = registry.submit(request.request);
    if (!result.ok) res.status(REFUSAL_STATUS[result.reason]).json({ error: result.error });
    else res.status(201).json({ id: result.id, status: result.status, position: result.position } satisfies CreateRunAnswer);
  });
  app.get('/api/runs/:id', async (req, res) => {
    const id = runIdParam(req, res);
    if (id === undefined) return;
    let json: Awaited<ReturnType<RunRegistry['recordJson']>>;
    try {
      json = await registry.recordJson(id);
    } catch (error) {
      return void res.status(500).json({ error: `id: could not read run ${id}: ${(error as Error).message}` });
    }
    if (json === undefined) return void noSuchRun(res, id);
    sendJson(res, json);
  });
  app.post('/api/runs/:id/cancel', (req, res) => {
    const id = runIdParam(req, res);
    if (id === undefined) return;
    if (registry.cancel(id)) res.json({ ok: true });
    else noSuchRun(res, id);
  });
  app.delete('/api/runs/:id', (req, res) => {
    const id = runIdParam(req, res);
    if (id === undefined) return;
    let result: ReturnType<RunRegistry['delete']>;
    try {
      result = registry.delete(id);
    } catch (error) {
      // The run is still in the database (locked, read-only, damaged): it stays listed, not half-deleted.
      res.status(500).json({ error: `id: could not delete run ${id}: ${(error as Error).message}` });
      return;
    }
    if (result === 'missing') noSuchRun(res, id);
    else if (result === 'running') res.status(409).json({ error: `id: run ${id} is queued or running: cancel it first` });
    else res.json({ ok: true });
  });
  for (const router of routers) app.use('/api', router);
  app.use('/api', (req, res) => {
    res.status(404).json({ error: `no API route ${req.method} ${req.path}` });
  });

  if (existsSync(clientDistDir)) {
    // The page itself with the catalog in it (index-page.ts); the assets as they are.
    const page = sendIndexPage(clientDistDir, availableCatalog);
    app.get(['/', '/index.html'], page);
    app.use(express.static(clientDistDir, { index: false }));
    app.get(/^\/(?!api\/|ws$).*/, page);
  }
  app.use(jsonErrors);
  return app;
}

/** Body-parser and other errors leave as JSON with a status, never as an HTML stack trace. */
const jsonErrors: ErrorRequestHandler = (error: { status?: number; type?: string; message?: string; limit?: number }, _req, res, _next) => {
  const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
  const message =
    error.type === 'entity.too.large' ? `body: larger than ${error.limit === undefined ? BODY_LIMIT : `${Math.round(error.limit / 1024)}kb`}`
    : error.type === 'entity.parse.failed' ? `body: not valid JSON (${error.message})`
    : status === 500 ? 'internal error' : `body: ${error.message}`;
  res.status(status).json({ error: message });
};

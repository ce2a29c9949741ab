// Generated bad input against the real HTTP and WebSocket endpoints: every one is answered with a
// 4xx naming the field (or a closed socket), the run list never changes, and the server stays up.
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { CATALOG } from '../shared/catalog/index.js';
import { RunListQuery } from '../shared/protocol/http.js';
import { ClientMessage } from '../shared/protocol/ws.js';
import { connectRecorder, isRunEnd, postJson, startTestServer } from './helpers.js';

let app: RunningApp;
let runsBefore: unknown;
beforeAll(async () => {
  app = await startTestServer();
  // One real run, so "the run list did not change" compares something.
  const ws = await connectRecorder(app.url);
  const { json } = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 1000 } });
  await ws.waitFor(isRunEnd(json.id));
  ws.close();
  runsBefore = await (await fetch(`${app.url}/api/runs`)).json();
});
afterAll(async () => {
  await app?.close();
});

const runsNow = async () => (await fetch(`${app.url}/api/runs`)).json();

// ---- HTTP ----
interface BadRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  /** The error must start with this field name, then ':' (undefined: any 4xx JSON error). */
  field?: string;
}

const ids = CATALOG.map((e) => e.id);
const RUN_LIST_FIELDS = Object.keys(RunListQuery.shape).filter((k) => k !== 'token');
const experiment = fc.constantFrom(...CATALOG);
const json = (value: unknown) => JSON.stringify(value);
const post = (body: unknown, field: string): BadRequest => ({ method: 'POST', path: '/api/runs', body: json(body), field });
const notANumber = fc.oneof(fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }));
/** Out of bounds or not an integer for every parameter in the catalog (max 5e7, min ≥ 1). */
const badCount = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 100_000_001 }),
  fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e15, -1e15, 2 ** 53 + 2, 1e308, Number.NaN, Infinity), // NaN and Infinity travel as null
  notANumber,
);
const fieldName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'));

const badHttp: fc.Arbitrary<BadRequest> = fc.oneof(
  experiment.chain((e) =>
    fc.tuple(fc.constantFrom(...e.params.map((p) => p.name)), badCount).map(([name, value]) => post({ experiment: e.id, params: { [name]: value } }, `params.${name}`)),
  ),
  experiment.chain((e) =>
    fc.tuple(fieldName.filter((n) => !e.params.some((p) => p.name === n)), fc.integer()).map(([name, value]) => post({ experiment: e.id, params: { [name]: value } }, `params.${name}`)),
  ),
  fc.string().filter((s) => !ids.includes(s)).map((id) => post({ experiment: id }, 'experiment')),
  fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object()).map((id) => post({ experiment: id }, 'experiment')),
  fc.tuple(experiment, fieldName.filter((k) => !['experiment', 'params', 'memoryCapMiB', 'knobs', 'sampleHz'].includes(k)), fc.jsonValue()).map(([e, key, value]) => post({ experiment: e.id, [key]: value }, key)),
  fc.tuple(experiment, fc.oneof(fc.integer({ max: 63 }), fc.integer({ min: 10_000_000 }), fc.double({ noInteger: true, noNaN: true }), notANumber)).map(([e, cap]) => post({ experiment: e.id, memoryCapMiB: cap }, 'memoryCapMiB')),
  fc.tuple(experiment, fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null), fc.boolean())).map(([e, params]) => post({ experiment: e.id, params }, 'params')),
  fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.integer(), fc.string(), fc.boolean(), fc.constant(null)).map((body) => post(body, 'body')),
  fc.integer({ min: 50, max: 20_000 }).map((depth): BadRequest => ({ method: 'POST', path: '/api/runs', body: `{"experiment":"seed-strings","params":{"n":${'['.repeat(depth)}1${']'.repeat(depth)}}}`, field: 'params.n' })),
  fc.string({ minLength: 1 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((body): BadRequest => ({ method: 'POST', path: '/api/runs', body, field: 'body' })),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '').map((contentType): BadRequest => ({ method: 'POST', path: '/api/runs', body: json({ experiment: 'seed-strings' }), contentType, field: 'body' })),
  // POST /api/runs takes code, so its bodies may reach CODE_BODY_LIMIT (512 KiB), not 64 KiB.
  fc.integer({ min: 513 * 1024, max: 600 * 1024 }).map((n): BadRequest => ({ method: 'POST', path: '/api/runs', body: json({ experiment: 'x'.repeat(n) }), field: 'body' })),
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((code) => post({ experiment: 'custom', runtime: 'node', code }, 'code')),
  fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !['setup', 'allocate', 'unreference'].includes(k)), fc.string(), { minKeys: 1, maxKeys: 2 })
    .map((code) => post({ experiment: 'custom', runtime: 'node', code }, 'code.allocate')),
  // "." and ".." are dot segments: fetch resolves them away before sending (…/runs/. is …/runs/).
  fc.tuple(fc.constantFrom('GET', 'POST'), fc.string({ minLength: 1, maxLength: 80 }).filter((id) => id !== '.' && id !== '..'))
    .map(([method, id]): BadRequest => ({ method, path: `/api/runs/${encodeURIComponent(id)}${method === 'POST' ? '/cancel' : ''}` })),
  fc.tuple(fc.constantFrom('/api/runs', '/api/health', '/api/experiments'), fc.stringMatching(/^[A-Za-z_][\w.[\]-]{0,10}$/).filter((k) => k !== 'token'), fc.string())
    .filter(([path, key]) => path !== '/api/runs' || !RUN_LIST_FIELDS.includes(key))
    .map(([path, key, value]): BadRequest => ({ method: 'GET', path: `${path}?${new URLSearchParams({ [key]: value })}`, field: `query.${key}` })),
  // The run list's own fields with values they never take, once or repeated.
  fc.tuple(fc.constantFrom(...RUN_LIST_FIELDS), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('0', '501', '-1', '1.5', '', 'x'.repeat(301))), fc.boolean())
    .filter(([key, value, twice]) => twice || !RunListQuery.safeParse({ [key]: value }).success || (key === 'before' && value !== ''))
    .map(([key, value, twice]): BadRequest => ({ method: 'GET', path: `/api/runs?${new URLSearchParams([[key, value], ...(twice ? [[key, value]] : [])])}`, field: `query.${key}` })),
  fc.constantFrom('/api/runs', '/api/health').map((path): BadRequest => ({ method: 'GET', path: `${path}?token=a&token=b`, field: 'query.token' })),
  fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH'), fc.constantFrom('/api/runs', '/api/health', '/api/experiments')).map(([method, path]): BadRequest => ({ method, path })),
);

describe('HTTP fuzz', () => {
  it('1000 generated bad requests: each a 4xx naming the field, the run list unchanged', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(badHttp, async (bad) => {
        count++;
        const headers: Record<string, string> = bad.contentType === undefined ? { 'content-type': 'application/json' } : bad.contentType ? { 'content-type': bad.contentType } : {};
        const response = await fetch(`${app.url}${bad.path}`, { method: bad.method, headers, body: bad.body });
        const answer = await response.json();
        expect(response.status, `${bad.method} ${bad.path}`).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(answer).toEqual({ error: expect.any(String) });
        if (bad.field !== undefined) expect(answer.error.startsWith(`${bad.field}: `), answer.error).toBe(true);
        expect(await runsNow()).toEqual(runsBefore);
      }),
      { numRuns: 1000 },
    );
    expect(count).toBeGreaterThanOrEqual(1000);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
  });
});

// ---- WebSocket ----
type BadFrame = { data: string | Uint8Array; code: number };
const invalid = (text: string) => {
  try {
    return !ClientMessage.safeParse(JSON.parse(text)).success;
  } catch {
    return true;
  }
};
const badFrame: fc.Arbitrary<BadFrame> = fc.oneof(
  fc.string().filter(invalid).map((data) => ({ data, code: 1008 })),
  fc.jsonValue().map(json).filter(invalid).map((data) => ({ data, code: 1008 })),
  fc.oneof(fc.string(), fc.integer({ max: -1 }), fc.constant(null), fc.double({ max: -0.001 })).map((t) => ({ data: json({ type: 'ping', t }), code: 1008 })),
  fc.tuple(fc.string().filter((s) => s !== 'ping'), fc.nat()).map(([type, t]) => ({ data: json({ type, t }), code: 1008 })),
  fc.uint8Array({ maxLength: 64 }).map((data) => ({ data, code: 1008 })),
  fc.integer({ min: 16 * 1024 + 1, max: 64 * 1024 }).map((n) => ({ data: json({ type: 'ping', t: 1, pad: 'x'.repeat(n) }), code: 1009 })),
);

/** Opens a socket, waits for hello, sends one frame; resolves with the close code and anything else received. */
function sendFrame(frame: BadFrame): Promise<{ code: number; extra: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${app.url.replace('http', 'ws')}/ws`);
    let received = 0;
    socket.on('message', () => {
      if (++received === 1) socket.send(frame.data, { binary: typeof frame.data !== 'string' });
    });
    socket.once('close', (code) => resolve({ code, extra: received - 1 }));
    socket.once('error', reject);
  });
}

describe('WebSocket fuzz', () => {
  it('1000 generated bad frames: each closes its socket, nothing else changes', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(badFrame, async (frame) => {
        count++;
        const { code, extra } = await sendFrame(frame);
        expect(code).toBe(frame.code);
        expect(extra).toBe(0);
      }),
      { numRuns: 1000 },
    );
    expect(count).toBeGreaterThanOrEqual(1000);
    expect(await runsNow()).toEqual(runsBefore);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
  });
});

// Shared test plumbing: a real server on a free port and a real WebSocket to it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startApp, type AppOptions, type RunningApp } from '../server/app.js';
import { Run, type RunHooks } from '../server/run.js';
import { newRunRecord, type RunRequest } from '../server/run-request.js';
import { unpackSamples } from '../server/sampling/packed-samples.js';
import { RunListPage } from '../shared/protocol/http.js';
import { ServerMessage } from '../shared/protocol/ws.js';
import type { RunRecord } from '../shared/run-record.js';

/** A fresh data directory under the root global-setup removes when the tests end. */
export const tempDataDir = (): string => mkdtempSync(join(process.env.MEMTIDE_TEST_DATA_ROOT ?? tmpdir(), 'memtide-test-'));

/** A real server on a free port, storing its runs in a fresh temporary directory. */
export async function startTestServer(options: AppOptions = {}): Promise<RunningApp> {
  return startApp({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), ...options });
}

export const isRunEnd = (id: string) => (m: ServerMessage): m is Extract<ServerMessage, { type: 'run-finished' | 'run-failed' }> =>
  (m.type === 'run-finished' || m.type === 'run-failed') && m.runId === id;

/** A WebSocket client that records every (validated) server message. */
export async function connectRecorder(url: string, query = '') {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws${query}`);
  const messages: ServerMessage[] = [];
  const waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  socket.on('message', (data) => {
    const message = ServerMessage.parse(JSON.parse(data.toString()));
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    socket,
    messages,
    /** Resolves with the first message (already received or future) that matches. */
    waitFor<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs = 30_000): Promise<T> {
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a WebSocket message')), timeoutMs);
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m as T); } });
      });
    },
    close: () => socket.close(),
  };
}

/** GET /api/runs (one page: the newest 50 unless the query says otherwise), checked. */
/** A page of GET /api/runs (`?limit=50` unless asked otherwise: with no query at all the answer is the plain array). */
export async function listRuns(url: string, query = '?limit=50'): Promise<RunListPage> {
  const response = await fetch(`${url}/api/runs${query}`);
  if (!response.ok) throw new Error(`GET /api/runs${query}: ${response.status} ${await response.text()}`);
  return RunListPage.parse(await response.json());
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary bodies */ {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** A request as parseRunRequest would make it; tests may name experiments the catalog lacks. */
export const testRequest = (request: Partial<RunRequest> & Pick<RunRequest, 'experiment'>): RunRequest => ({
  params: {}, knobs: {}, workerEnv: {}, memoryCapMiB: 2048, wallClockCapS: 60, sampleHz: 200, settleMs: 1000, ...request,
});

/**
 * One Run on its own (no registry, no server), to its end: the record it ended with, and every
 * event it sent (samples as `samples` messages, as a client would see them).
 */
export function runToEnd(request: Partial<RunRequest> & Pick<RunRequest, 'experiment'>, hooks: Partial<Pick<RunHooks, 'spawn'>> & { onStart?(run: Run): void } = {}) {
  const sent: ServerMessage[] = [];
  const full = testRequest(request);
  return new Promise<{ record: RunRecord; sent: ServerMessage[] }>((resolve) => {
    const run = new Run(newRunRecord(full, `test-${full.experiment.id}`), {
      events: {
        send: (m) => sent.push(m),
        samples: (runId, packed) => sent.push({ type: 'samples', runId, samples: unpackSamples(packed) }),
        watching: () => true,
      },
      onEnded: (record) => resolve({ record, sent }),
      python: full.python,
      spawn: hooks.spawn,
    });
    run.start();
    hooks.onStart?.(run);
  });
}

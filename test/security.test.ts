// The real server's defences: DNS rebinding and cross-origin requests refused, security headers
// on every answer, and a WebSocket surface with a payload limit, a socket cap and a heartbeat.
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { WS_MAX_PAYLOAD } from '../server/ws-hub.js';
import { startTestServer } from './helpers.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startTestServer({ maxSockets: 4, heartbeatMs: 200 });
});
afterAll(async () => {
  await app?.close();
});

/** node:http, because fetch will not let a test forge the Host header. */
function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    }).on('error', reject).end();
  });
}

const wsUrl = () => `${app.url.replace('http', 'ws')}/ws`;
const upgradeStatus = (options: WebSocket.ClientOptions = {}) =>
  new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(wsUrl(), options);
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    socket.once('open', () => reject(new Error('upgrade was accepted')));
  });
const open = () =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(wsUrl());
    socket.once('open', () => resolve(socket)).once('error', reject);
  });
const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

describe('Host and Origin', () => {
  it('refuses a Host name the server does not answer to (DNS rebinding), on pages, API and WebSocket', async () => {
    for (const path of ['/', '/api/runs']) {
      const r = await get(path, { host: 'attacker.example:5177' });
      expect(r.status, path).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/^host: "attacker\.example:5177" is not a name/);
    }
    expect(await upgradeStatus({ headers: { host: 'attacker.example' } })).toBe(403);
    expect((await get('/api/health', { host: `localhost:${new URL(app.url).port}` })).status).toBe(200);
  });

  it('refuses a request or upgrade from another origin', async () => {
    const host = new URL(app.url).host;
    const r = await get('/api/runs', { host, origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toBe('origin: "http://evil.example" is not this server');
    expect(await upgradeStatus({ origin: 'http://evil.example' })).toBe(403);
    expect((await get('/api/runs', { host, origin: app.url })).status).toBe(200);
  });

  it('sends the security headers, CSP included, with every answer', async () => {
    for (const path of ['/', '/api/health', '/api/nope']) {
      const { headers } = await get(path, { host: new URL(app.url).host });
      expect(headers['content-security-policy'], path).toMatch(/default-src 'self'; script-src 'self'/);
      expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    }
  });
});

describe('WebSocket limits', () => {
  it(`closes a socket that sends more than ${WS_MAX_PAYLOAD} bytes (1009)`, async () => {
    const socket = await open();
    const code = closed(socket);
    socket.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(WS_MAX_PAYLOAD) }));
    expect(await code).toBe(1009);
  });

  it('refuses sockets past the cap with 503, and takes new ones once some close', async () => {
    const sockets = await Promise.all([open(), open(), open(), open()]);
    expect(await upgradeStatus()).toBe(503);
    const gone = closed(sockets[0]!);
    sockets[0]!.close();
    await gone;
    await expect.poll(() => app.hub.clientCount()).toBe(3);
    sockets.push(await open());
    for (const s of sockets) s.close();
    await expect.poll(() => app.hub.clientCount()).toBe(0);
  });

  it('drops a client that stops answering pings, keeps one that answers', async () => {
    const live = await open();
    const dead = new WebSocket(wsUrl(), { autoPong: false });
    const deadClosed = closed(dead);
    let pinged = 0;
    dead.on('ping', () => pinged++);
    expect(await deadClosed).toBe(1006); // terminated: no close frame
    expect(pinged).toBeGreaterThanOrEqual(1);
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.close();
  });
});

// The WebSocket surface at /ws: pushes run events (run-events.ts) to every client, answers pings,
// and closes a socket that sends anything not in the shared contract. A samples frame is written
// once, straight from the packed readings, and sent to every socket within its caps (ws-send.ts).
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { ClientMessage, type ServerMessage } from '../shared/protocol/ws.js';
import { now } from '../shared/units.js';
import type { RunEvents } from './run-events.js';
import { samplesJson, type PackedSamples } from './sampling/packed-samples.js';
import { sendTo } from './ws-send.js';

export const WS_MAX_PAYLOAD = 16 * 1024;
export const DEFAULT_MAX_SOCKETS = 64;
export const DEFAULT_HEARTBEAT_MS = 30_000;

export interface WsHubOptions {
  /** Host/Origin/token check of the upgrade request (security.ts). */
  verify?(req: IncomingMessage): { ok: true } | { ok: false; status: number; error: string };
  maxSockets?: number;
  /** Every socket is pinged this often; one that has not answered the last ping is dropped. */
  heartbeatMs?: number;
}

export interface WsHub extends RunEvents {
  clientCount(): number;
  close(): Promise<void>;
}

export function createWsHub(server: Server, hello: () => ServerMessage, options: WsHubOptions = {}): WsHub {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: WS_MAX_PAYLOAD,
    verifyClient: ({ req }, done) => {
      const verdict = options.verify?.(req) ?? { ok: true };
      const refuse = (status: number, error: string) => done(false, status, JSON.stringify({ error }), { 'Content-Type': 'application/json' });
      if (!verdict.ok) return refuse(verdict.status, verdict.error);
      if (wss.clients.size >= maxSockets) return refuse(503, `too many WebSocket connections (${maxSockets} open)`);
      done(true);
    },
  });
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) socket.terminate();
      else {
        alive.delete(socket);
        socket.ping();
      }
    }
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  heartbeat.unref();
  // ws re-emits the HTTP server's errors (EADDRINUSE…); startApp reports those from listen().
  wss.on('error', () => undefined);
  wss.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    // ws closes the socket itself (1009 too big, 1002 bad frame) and then emits 'error': with no
    // listener that error would be uncaught and take the whole server down.
    socket.on('error', () => undefined);
    socket.send(JSON.stringify(hello()));
    socket.on('message', (data, isBinary) => {
      let parsed: ReturnType<typeof ClientMessage.safeParse> | undefined;
      try {
        parsed = isBinary ? undefined : ClientMessage.safeParse(JSON.parse(data.toString()));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) return socket.close(1008, 'invalid message');
      socket.send(JSON.stringify({ type: 'pong', t: parsed.data.t, serverT: now() } satisfies ServerMessage));
    });
  });
  return {
    send(message) {
      if (wss.clients.size === 0) return;
      const text = JSON.stringify(message);
      for (const socket of wss.clients) sendTo(socket, text);
    },
    samples(runId: string, packed: PackedSamples) {
      if (wss.clients.size === 0) return;
      // The `samples` event of shared/protocol/ws.ts, byte for byte what JSON.stringify would write.
      const text = `{"type":"samples","runId":${JSON.stringify(runId)},"samples":${samplesJson(packed)}}`;
      for (const socket of wss.clients) sendTo(socket, text, { runId, packed });
    },
    clientCount: () => wss.clients.size,
    watching: () => wss.clients.size > 0,
    close: () =>
      new Promise((resolve) => {
        clearInterval(heartbeat);
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

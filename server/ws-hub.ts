// The WebSocket surface at /ws: pushes server events to every client, answers pings, and closes
// a socket that sends anything not in the shared contract.
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { ClientMessage, type ServerMessage } from '../shared/schemas.js';
import { now } from './sampling/rss-sampler.js';
import { sendTo } from './ws-send.js';

export const WS_MAX_PAYLOAD = 16 * 1024;

export interface WsHub {
  broadcast(message: ServerMessage): void;
  clientCount(): number;
  close(): Promise<void>;
}

export function createWsHub(server: Server, hello: () => ServerMessage): WsHub {
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: WS_MAX_PAYLOAD });
  // ws re-emits the HTTP server's errors (EADDRINUSE…); startApp reports those from listen().
  wss.on('error', () => undefined);
  wss.on('connection', (socket) => {
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
    broadcast(message) {
      const text = JSON.stringify(message);
      for (const socket of wss.clients) sendTo(socket, message, text);
    },
    clientCount: () => wss.clients.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

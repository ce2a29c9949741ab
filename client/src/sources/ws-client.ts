// The WebSocket to /ws: validates every frame against the shared contract, reconnects with
// backoff, and reports its state so the user can see when the live stream is down.
import { ServerMessage, type ClientMessage } from '../../../shared/protocol/ws.js';
import { describeZodError } from '../../../shared/validation.js';
import { withToken } from './token.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface WsClientOptions {
  onMessage(message: ServerMessage): void;
  onState(state: ConnectionState, detail: string): void;
}

export function connectWs({ onMessage, onState }: WsClientOptions): { send(message: ClientMessage): void } {
  let socket: WebSocket | undefined;
  let retryMs = 500;
  const url = withToken(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);

  const open = () => {
    onState('connecting', 'connecting…');
    socket = new WebSocket(url);
    socket.onopen = () => {
      retryMs = 500;
      onState('open', 'live');
    };
    socket.onmessage = (event) => {
      let parsed: ReturnType<typeof ServerMessage.safeParse>;
      try {
        parsed = ServerMessage.safeParse(JSON.parse(String(event.data)));
      } catch {
        console.error('memtide: a frame that is not JSON was ignored');
        return;
      }
      if (!parsed.success) console.error(`memtide: invalid frame ignored: ${describeZodError(parsed.error)}`);
      else onMessage(parsed.data);
    };
    socket.onclose = () => {
      const wait = retryMs;
      retryMs = Math.min(retryMs * 2, 8000);
      onState('closed', `disconnected — retrying in ${(wait / 1000).toFixed(1)} s`);
      setTimeout(open, wait);
    };
  };
  open();
  return {
    send(message) {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
  };
}

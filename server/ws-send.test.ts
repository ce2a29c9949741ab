// The per-socket caps: a socket over the soft cap misses samples (and is told), one over the hard
// cap is cut, and the others are never touched.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { packSamples } from './sampling/packed-samples.js';
import { HARD_LIMIT_BYTES, SOFT_LIMIT_BYTES, sendTo, type SendableSocket } from './ws-send.js';

function fakeSocket(bufferedAmount = 0) {
  const sent: ServerMessage[] = [];
  const socket = {
    readyState: WebSocket.OPEN as number,
    bufferedAmount,
    send: (text: string) => void sent.push(JSON.parse(text) as ServerMessage),
    terminate: () => void (socket.readyState = WebSocket.CLOSED),
  };
  return { socket: socket as unknown as SendableSocket & { bufferedAmount: number; readyState: number }, sent };
}

const samples = (t: number, n = 10): ServerMessage => ({
  type: 'samples', runId: 'run-1', samples: Array.from({ length: n }, (_, i) => ({ t: t + i, rss: 1 })),
});
const send = (socket: SendableSocket, m: ServerMessage) =>
  sendTo(socket, JSON.stringify(m), m.type === 'samples' ? { runId: m.runId, packed: packSamples(m.samples) } : undefined);

describe('sendTo', () => {
  it('sends everything to a socket that keeps up', () => {
    const { socket, sent } = fakeSocket();
    send(socket, samples(1000));
    send(socket, { type: 'phase', runId: 'run-1', phase: 'allocate', edge: 'start', t: 1010 });
    expect(sent.map((m) => m.type)).toEqual(['samples', 'phase']);
  });

  it('drops samples over the soft cap, keeps other messages, and tells the client once it has caught up', () => {
    const slow = fakeSocket(SOFT_LIMIT_BYTES + 1);
    const fast = fakeSocket();
    for (const t of [1000, 1010, 1020]) for (const s of [slow.socket, fast.socket]) send(s, samples(t));
    send(slow.socket, { type: 'phase', runId: 'run-1', phase: 'allocate', edge: 'end', t: 1030 });
    expect(fast.sent).toHaveLength(3);
    // The phase went; the samples did not, and no notice while it is still behind (it would
    // re-fetch the record and fall further behind).
    expect(slow.sent).toEqual([{ type: 'phase', runId: 'run-1', phase: 'allocate', edge: 'end', t: 1030 }]);
    // Caught up: the notice goes first, then what is sent now.
    slow.socket.bufferedAmount = 0;
    send(slow.socket, samples(1040));
    expect(slow.sent.slice(1)).toEqual([
      { type: 'samples-dropped', runId: 'run-1', count: 30, from: 1000, to: 1029 },
      samples(1040),
    ]);
  });

  it('cuts a socket over the hard cap', () => {
    const { socket, sent } = fakeSocket(HARD_LIMIT_BYTES + 1);
    send(socket, { type: 'phase', runId: 'run-1', phase: 'allocate', edge: 'end', t: 1 });
    expect(sent).toEqual([]);
    expect(socket.readyState).toBe(WebSocket.CLOSED);
  });
});

// Sending to one WebSocket without letting a slow or stalled client grow the server's memory or
// hold up the others: ws queues whatever the kernel will not take yet (bufferedAmount), so cap it.
// Over the soft cap that client's RSS samples are dropped (only its own) and counted; it is told
// what it missed (`samples-dropped`, so it can fetch the record) once it takes frames again.
// Over the hard cap, even with samples dropped, the socket is cut: the client reconnects and gets
// `hello`. Other messages (phases, run ends) are small and rare, and always go.
import { WebSocket } from 'ws';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { sampleCount, type PackedSamples } from './sampling/packed-samples.js';

/** ~6 s of 1 kHz samples as JSON: a client this far behind shows stale data anyway. */
export const SOFT_LIMIT_BYTES = 256 * 1024;
export const HARD_LIMIT_BYTES = 4 * 1024 * 1024;

export type SendableSocket = Pick<WebSocket, 'readyState' | 'bufferedAmount' | 'send' | 'terminate'>;

interface Dropped {
  runId: string;
  count: number;
  from: number;
  to: number;
}
const dropped = new WeakMap<SendableSocket, Dropped>();

/** A `samples` frame's run and readings: what a client that misses it is told it missed. */
export interface SamplesOf {
  runId: string;
  packed: PackedSamples;
}

/** Sends one event, already JSON, to socket within its caps; `samples` when it is a samples frame. */
export function sendTo(socket: SendableSocket, text: string, samples?: SamplesOf): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  const buffered = socket.bufferedAmount;
  if (buffered > HARD_LIMIT_BYTES) return socket.terminate();
  if (samples && buffered > SOFT_LIMIT_BYTES) return noteDropped(socket, samples);
  const missed = dropped.get(socket);
  // Only once it has caught up (below the soft cap): told earlier, a client still behind would
  // re-fetch the record again and again and fall further behind.
  if (missed && buffered <= SOFT_LIMIT_BYTES) {
    dropped.delete(socket);
    socket.send(JSON.stringify({ type: 'samples-dropped', ...missed } satisfies ServerMessage));
  }
  socket.send(text);
}

function noteDropped(socket: SendableSocket, { runId, packed }: SamplesOf): void {
  const count = sampleCount(packed);
  if (count === 0) return;
  const [from, to] = [packed[0]!, packed[2 * (count - 1)]!];
  const missed = dropped.get(socket);
  if (missed && missed.runId === runId) {
    missed.count += count;
    missed.to = to;
  } else {
    // A new run while behind: the old run's gap is forgotten (the client shows the new run).
    dropped.set(socket, { runId, count, from, to });
  }
}

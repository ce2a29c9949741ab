// Large bodies (a stored 120 s run is ~5 MB of JSON) written to their sockets a slice at a time,
// every response in flight taking turns within one time budget per turn of the event loop. Writing
// per response per turn was not enough: with 40 responses in flight each turn wrote 40 slices, and
// a write() on loopback runs the reader's side of TCP too (measured 1-2 ms per 64 KiB while the
// reader was busy), so the loop stalled ~100 ms at a time and /api/health and the live stream
// waited behind it (bench/history.ts).
import type { Response } from 'express';

/** Bytes per write(): small enough that one write never holds the loop long. */
export const SLICE_BYTES = 64 * 1024;
/**
 * Writing stops for this turn once this much time has gone on it (ms); the rest waits for the next
 * turn. 3 and 2 ms left /api/health's p99 at 18-24 ms under 40 GETs of a 120 s run, 1 ms at ~15 ms,
 * with the GETs' own times unchanged (bench/history.ts).
 */
export const TURN_BUDGET_MS = 1;

interface Sending {
  res: Response;
  pieces: readonly Buffer[];
  piece: number;
  offset: number;
  gone: boolean;
}

const ready: Sending[] = [];
let scheduled = false;

/** Sends `pieces` as the body (headers already set, Content-Length added here), in turns with every other. */
export function sendInTurns(res: Response, pieces: readonly Buffer[]): void {
  res.set('Content-Length', String(pieces.reduce((n, p) => n + p.length, 0)));
  const sending: Sending = { res, pieces, piece: 0, offset: 0, gone: false };
  res.once('close', () => (sending.gone = true));
  enqueue(sending);
}

function enqueue(sending: Sending): void {
  ready.push(sending);
  if (!scheduled) {
    scheduled = true;
    setImmediate(turn);
  }
}

function turn(): void {
  scheduled = false;
  const until = performance.now() + TURN_BUDGET_MS;
  // Round robin: each response one slice, then to the back of the line.
  while (ready.length > 0 && performance.now() < until) {
    const s = ready.shift()!;
    if (s.gone) continue;
    const piece = s.pieces[s.piece];
    if (!piece) {
      s.res.end();
      continue;
    }
    const end = Math.min(piece.length, s.offset + SLICE_BYTES);
    const more = s.res.write(piece.subarray(s.offset, end));
    [s.piece, s.offset] = end === piece.length ? [s.piece + 1, 0] : [s.piece, end];
    if (s.piece === s.pieces.length) s.res.end();
    else if (more) ready.push(s);
    else s.res.once('drain', () => enqueue(s)); // the socket is full: back in line once it drains
  }
  if (ready.length > 0 && !scheduled) {
    scheduled = true;
    setImmediate(turn);
  }
}

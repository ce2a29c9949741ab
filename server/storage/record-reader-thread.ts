// The thread that writes the JSON of long stored runs for GET /api/runs/:id (record-reader.ts):
// inflating, decoding and writing 120 000 samples takes ~50 ms that the event loop must not spend.
// The main thread has read and checked the rest of the run; the JSON goes back as moved Buffers.
import { parentPort } from 'node:worker_threads';
import { writeRecordJson } from './record-json.js';
import type { RecordJsonParts } from './record-rows.js';

export interface ReadRequest {
  seq: number;
  parts: RecordJsonParts;
}

export type ReadReply =
  | { seq: number; ok: true; json: Uint8Array[] | null }
  | { seq: number; ok: false; error: string; kind?: string };

/** A piece that owns its whole ArrayBuffer can be moved; anything else (a slice of Node's pool) is copied. */
const movable = (piece: Buffer): Uint8Array => (piece.byteOffset === 0 && piece.buffer.byteLength >= 4096 ? piece : new Uint8Array(piece));

parentPort!.on('message', ({ seq, parts }: ReadRequest) => {
  let reply: ReadReply;
  try {
    reply = { seq, ok: true, json: writeRecordJson(parts).map(movable) };
  } catch (error) {
    reply = { seq, ok: false, error: (error as Error).message, kind: (error as { kind?: string }).kind };
  }
  parentPort!.postMessage(reply, reply.ok && reply.json ? reply.json.map((piece) => piece.buffer as ArrayBuffer) : []);
});

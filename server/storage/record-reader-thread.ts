// The thread that writes the JSON of long stored runs for GET /api/runs/:id (record-reader.ts):
// reading, inflating, decoding and writing 120 000 samples takes ~50 ms that the event loop must
// not spend. It has its own read-only connection; the JSON goes back as moved Buffers.
import { parentPort, workerData } from 'node:worker_threads';
import { writeRecordJson } from './record-reader.js';
import { RunStore } from './run-store.js';

export interface ReadRequest {
  seq: number;
  id: string;
}

export type ReadReply =
  | { seq: number; ok: true; json: Uint8Array[] | null }
  | { seq: number; ok: false; error: string; kind?: string };

const { dir } = workerData as { dir: string };
let store: RunStore | undefined;

/** A piece that owns its whole ArrayBuffer can be moved; anything else (a slice of Node's pool) is copied. */
const movable = (piece: Buffer): Uint8Array => (piece.byteOffset === 0 && piece.buffer.byteLength >= 4096 ? piece : new Uint8Array(piece));

parentPort!.on('message', ({ seq, id }: ReadRequest) => {
  let reply: ReadReply;
  try {
    store ??= new RunStore(dir, { readonly: true });
    const parts = store.loadJsonParts(id);
    reply = { seq, ok: true, json: parts ? writeRecordJson(parts).map(movable) : null };
  } catch (error) {
    reply = { seq, ok: false, error: (error as Error).message, kind: (error as { kind?: string }).kind };
  }
  parentPort!.postMessage(reply, reply.ok && reply.json ? reply.json.map((piece) => piece.buffer as ArrayBuffer) : []);
});

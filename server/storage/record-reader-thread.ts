// The thread that turns stored runs into the JSON of GET /api/runs/:id (record-reader.ts): reading,
// inflating, decoding and stringifying a 120 s run takes tens of ms that the event loop must not
// spend. It has its own read-only connection; the JSON comes back as transferred bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { RunStore } from './run-store.js';

export interface ReadRequest {
  seq: number;
  id: string;
}

export type ReadReply =
  | { seq: number; ok: true; json: Uint8Array | null }
  | { seq: number; ok: false; error: string; kind?: string };

const { dir } = workerData as { dir: string };
let store: RunStore | undefined;
const encoder = new TextEncoder();

parentPort!.on('message', ({ seq, id }: ReadRequest) => {
  let reply: ReadReply;
  try {
    store ??= new RunStore(dir, { readonly: true });
    const record = store.load(id);
    reply = { seq, ok: true, json: record ? encoder.encode(JSON.stringify(record)) : null };
  } catch (error) {
    reply = { seq, ok: false, error: (error as Error).message, kind: (error as { kind?: string }).kind };
  }
  parentPort!.postMessage(reply, reply.ok && reply.json ? [reply.json.buffer as ArrayBuffer] : []);
});

// The JSON of a stored run, written from its parts (record-rows.ts recordJsonParts): the checked
// rest as text, then the samples decoded and written straight from the numbers, no object each (a
// 120 s run is 120 000 of them), into Buffers that each own their memory (they may be moved to
// another thread). Imports no schema: record-reader-thread.ts starts in tens of ms, not hundreds.
import { ChunkWriter, writeSamplesJson } from '../sampling/packed-samples.js';
import type { RecordJsonParts } from './record-rows.js';
import { decodePacked } from './sample-codec.js';
import { StoreError } from './store-errors.js';

export function writeRecordJson({ id, head, codec, samples }: RecordJsonParts): Buffer[] {
  let packed: Float64Array;
  try {
    packed = decodePacked(codec, samples);
  } catch (error) {
    throw new StoreError('damaged', `run ${id}: ${(error as Error).message}`);
  }
  const out = new ChunkWriter();
  out.put(head);
  writeSamplesJson(out, packed, 0, packed.length >> 1);
  out.put(']}');
  return out.finish();
}

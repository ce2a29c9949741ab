// The reader that serves stored runs: a long run is written in the thread (the built script, as the
// server runs it), concurrent asks share one build, a deleted run is never served from the cache.
import { describe, expect, it } from 'vitest';
import { record, tempDir } from '../../test/store-fixtures.js';
import { INLINE_MAX_SAMPLES, RecordReader } from './record-reader.js';
import { RunStore } from './run-store.js';

const long = (id: string) => {
  const n = INLINE_MAX_SAMPLES + 5000;
  return record(id, 1_700_000_000_000, { error: 'killed at 4 × the cap: µ-sized, naïve ✓', samples: Array.from({ length: n }, (_, i) => ({ t: 1_700_000_000_000 + i + 0.123, rss: (10_000 + (i % 50)) * 4096 })) });
};

describe('RecordReader', () => {
  it('writes a long run in its thread, once for concurrent asks, and forgets a deleted one', async () => {
    const store = new RunStore(tempDir());
    store.save(long('long-1'));
    store.save(record('short-1'));
    const reader = new RecordReader(store);
    const [a, b] = [reader.json('long-1'), reader.json('long-1')];
    expect(a).toBe(b); // one build shared
    const pieces = (await a)!;
    expect(JSON.parse(Buffer.concat(pieces).toString())).toEqual(store.load('long-1'));
    expect(JSON.parse(Buffer.concat((await reader.json('short-1'))!).toString())).toEqual(record('short-1'));
    expect(await reader.json('nope-1')).toBeUndefined();
    expect(await reader.json('long-1')).toBe(pieces); // kept
    store.delete('long-1');
    reader.forget('long-1');
    expect(await reader.json('long-1')).toBeUndefined();
    await reader.close();
    store.close();
  });
});

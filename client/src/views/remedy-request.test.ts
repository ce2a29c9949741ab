// What a remedy's button asks for: the run's own request with the remedy laid over it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CreateRunBody } from '../../../shared/protocol/http.js';
import { RunRecord } from '../../../shared/run-record.js';
import { needsRecord, remedyChanges, remedyRequest } from './remedy-request.js';

const fixture = (name: string) => RunRecord.parse(JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}.json`, import.meta.url), 'utf8')));

describe('remedyRequest', () => {
  it('py-medium-bytes under glibc: trim on, everything else as the run had it', () => {
    const run = fixture('py-medium-bytes-50k');
    const [trim] = run.summary!.remedies!;
    expect(remedyChanges(trim!)).toBe('trim phase on');
    const body = remedyRequest(run, trim!);
    expect(body).toEqual({ experiment: 'py-medium-bytes', params: { n: 50_000, size: 1000 }, knobs: { trim: true }, settleMs: 200, sampleHz: 1000, memoryCapMiB: 2048 });
    expect(CreateRunBody.safeParse(body).success).toBe(true);
  });

  it('under jemalloc: keeps the allocator, adds the decay, the background thread with its settle, or trim', () => {
    const run = fixture('py-medium-bytes-jemalloc-50k');
    const remedies = run.summary!.remedies!;
    expect(remedies.map(remedyChanges)).toEqual(['dirty_decay_ms 0', 'background_thread on · settle 31.0 s', 'trim phase on']);
    expect(remedies.map((r) => remedyRequest(run, r)).map((b) => [b.knobs, b.settleMs])).toEqual([
      [{ allocator: 'jemalloc', jemallocDirtyDecayMs: 0 }, 200],
      [{ allocator: 'jemalloc', jemallocBackgroundThread: true }, 31_000],
      [{ allocator: 'jemalloc', trim: true }, 200],
    ]);
  });

  it('a larger N replaces the run\'s own; a run recorded without settleMs or a cap asks for none', () => {
    const run = { experiment: 'seed-strings', params: { n: 1000 }, knobs: {}, sampleHz: 200 };
    const body = remedyRequest(run, { text: 'Run with N = 8000 (×8).', params: { n: 8000 } });
    expect(body).toEqual({ experiment: 'seed-strings', params: { n: 8000 }, sampleHz: 200 });
    expect(remedyChanges({ text: '', params: { n: 8000 } })).toBe('n = 8,000');
  });

  it('a run of the user\'s own code: the same code, runtime and name, from its full record', () => {
    const code = { setup: '', allocate: 'blobs = [bytes(1000) for _ in range(50_000)]', unreference: 'del blobs[:-1]' };
    const run = { experiment: 'custom', params: {}, knobs: {}, settleMs: 1000, sampleHz: 1000, runtime: 'python' as const, code, customName: 'medium bytes' };
    expect(needsRecord(run)).toBe(true);
    const body = remedyRequest(run, { text: 'trim', knobs: { trim: true }, returns: 50 * 2 ** 20 });
    expect(body).toEqual({ experiment: 'custom', runtime: 'python', code, name: 'medium bytes', params: {}, knobs: { trim: true }, settleMs: 1000, sampleHz: 1000 });
    expect(CreateRunBody.safeParse(body).success).toBe(true);
    expect(needsRecord({ experiment: 'py-medium-bytes' })).toBe(false);
  });
});

// A real worker really allocates: RSS sampled from outside rises, phases arrive in order.
import { describe, expect, it } from 'vitest';
import { PHASES, type RunRecord } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { runToEnd as runRequest, testRequest } from '../test/helpers.js';
import { workerSpec } from './run.js';
import { newRunRecord } from './run-request.js';

const runToEnd = (experiment: string, params: Record<string, number>) => runRequest({ experiment: { id: experiment, runtime: 'node' }, params });

const phase = (record: RunRecord, name: string) => record.phases.find((p) => p.name === name)!;
const rssBetween = (record: RunRecord, from: number, to: number) =>
  record.samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rss);

describe('Node worker, sampled from outside', () => {
  it('big-buffers 256 × 1 MiB raises RSS by at least 200 MiB during allocate', async () => {
    const { record } = await runToEnd('big-buffers', { n: 256, size: MiB });
    expect(record.status, record.error).toBe('finished');
    const baseline = phase(record, 'baseline');
    const allocate = phase(record, 'allocate');
    const before = Math.min(...rssBetween(record, baseline.start, baseline.end!));
    // Include the first samples after allocate ends: the phase can be shorter than a sample period.
    const peak = Math.max(...rssBetween(record, allocate.start, allocate.end! + 20));
    expect(peak - before).toBeGreaterThanOrEqual(200 * MiB);
    // Off-heap: V8 saw it as external memory, not heap.
    const atEnd = record.heap.find((h) => h.phase === 'allocate' && h.t === allocate.end)!;
    expect(atEnd.external!).toBeGreaterThan(200 * MiB);
  });

  it('reports the five phases in order, with increasing timestamps, and streams them', async () => {
    const { record, sent } = await runToEnd('seed-strings', { n: 2_000_000 });
    expect(record.status, record.error).toBe('finished');
    expect(record.phases.map((p) => p.name)).toEqual([...PHASES]);
    let last = 0;
    for (const p of record.phases) {
      expect(p.start).toBeGreaterThanOrEqual(last);
      expect(p.end!).toBeGreaterThanOrEqual(p.start);
      last = p.end!;
    }
    const edges = sent.filter((m) => m.type === 'phase').map((m) => m.type === 'phase' && `${m.phase}:${m.edge}`);
    expect(edges).toEqual(PHASES.flatMap((p) => [`${p}:start`, `${p}:end`]));
    expect(sent[0]!.type).toBe('run-started');
    // Streamed as they came, the samples are exactly the record's.
    expect(sent.flatMap((m) => (m.type === 'samples' ? m.samples : []))).toEqual(record.samples);
    // Sampled from outside the whole time, spawn to exit, at roughly the asked rate.
    expect(record.samples.length).toBeGreaterThan(100);
    expect(record.samples[0]!.t).toBeLessThan(phase(record, 'baseline').start);
  });

  it('collect lowers heapUsed for seed-strings', async () => {
    const { record } = await runToEnd('seed-strings', { n: 5_000_000 });
    const collect = phase(record, 'collect');
    const heapAt = (t: number) => record.heap.find((h) => h.phase === 'collect' && h.t === t)!.heapUsed!;
    // 5e6 slots × 8 bytes = 38 MiB of backing store that only gc() frees.
    expect(heapAt(collect.start) - heapAt(collect.end!)).toBeGreaterThan(30 * MiB);
    expect(record.summary?.allocationPct).toBeGreaterThan(50);
  });

  it('small-buffers: freed 4 KiB Buffers stay in the brk heap, judged "retained by allocator"', async () => {
    // Seen here: 20k × 4 KiB → +91 MiB, 89 MiB kept after collect and settle, 81 MiB of it in [heap].
    const { record } = await runToEnd('small-buffers', { n: 20_000 });
    expect(record.status, record.error).toBe('finished');
    const s = record.summary!;
    expect(s.mem1 - s.mem0).toBeGreaterThan(60 * MiB);
    expect(s.mem4 - s.mem0).toBeGreaterThan(0.5 * (s.mem1 - s.mem0));
    expect(s.verdict).toBe('retained by allocator');
  });

  it('a worker that fails ends the run as failed with the reason', async () => {
    const { record } = await runToEnd('no-such-experiment', {});
    expect(record.status).toBe('failed');
    expect(record.error).toContain('unknown experiment no-such-experiment');
  });
});

describe('workerSpec', () => {
  it('carries the experiment, params, the phase script (trim only when asked for) and settleMs from the record', () => {
    const record = newRunRecord(testRequest({ experiment: { id: 'small-buffers', runtime: 'node' }, params: { n: 10 }, knobs: { trim: true }, settleMs: 2500 }));
    const timings = { baselineMs: 300, settleMs: 2500, reportEveryMs: 50 };
    expect(workerSpec(record)).toEqual({ experiment: 'small-buffers', params: { n: 10 }, phases: ['baseline', 'allocate', 'unreference', 'collect', 'trim', 'settle'], ...timings });
    expect(workerSpec({ ...record, knobs: {} })).toEqual({ experiment: 'small-buffers', params: { n: 10 }, phases: ['baseline', 'allocate', 'unreference', 'collect', 'settle'], ...timings });
  });
});

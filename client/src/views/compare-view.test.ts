// The comparison's lines stop where each worker exited, like the run's own chart: the readings of
// a dying process (RSS falling to ~0) are not memory given back.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { alignedRss, columnHead } from './compare-view.js';

const record = (status: RunRecord['status'], lastPhaseEnd: number | undefined) => ({
  status, createdAt: 0,
  phases: [{ name: 'baseline', start: 0, end: 100 }, { name: 'allocate', start: 100, end: 300 }, { name: 'settle', start: 300, end: lastPhaseEnd }],
  // 35 MiB held through settle, then the exiting worker's last readings.
  samples: [0, 100, 200, 300, 400, 500, 510, 520].map((t) => ({ t, rss: (t > 500 ? 17 : 35) * MiB })),
}) as unknown as RunRecord;

describe('alignedRss', () => {
  it('ends at the worker exit (the last phase end) of an ended run, aligned at allocate', () => {
    const s = alignedRss(record('finished', 500));
    expect([...s.xs.subarray(0, s.length)]).toEqual([-0.1, 0, 0.1, 0.2, 0.3, 0.4]);
    expect([...s.ys.subarray(0, s.length)].every((y) => y === 35)).toBe(true);
  });

  it('keeps every reading of a run still running, or one that ended inside a phase', () => {
    expect(alignedRss(record('running', undefined)).length).toBe(8);
    expect(alignedRss(record('cancelled', undefined)).length).toBe(8);
  });
});

describe('columnHead', () => {
  const run = (experiment: string, n: number, knobs: Record<string, unknown>) => ({ experiment, params: { n }, knobs, runtime: 'python' }) as unknown as RunRecord;
  it('puts first what tells the columns apart', () => {
    // Params under 1 000: the label's digits do not depend on the machine's locale.
    const [a, b] = [run('py-medium-bytes', 200, {}), run('py-medium-bytes', 200, { trim: true })];
    expect(columnHead(a, [a, b])).toEqual(['defaults · python', 'py-medium-bytes n=200']);
    expect(columnHead(b, [a, b])).toEqual(['trim · python', 'py-medium-bytes n=200']);
    const c = run('seed-strings', 100, {});
    expect(columnHead(c, [a, c])).toEqual(['seed-strings n=100', 'defaults · python']);
  });
});

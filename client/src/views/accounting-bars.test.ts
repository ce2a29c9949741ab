// The accounting bars' model on runs recorded here (test/fixtures: py-medium-bytes 5·10⁴ under
// glibc and under jemalloc, small-buffers 2·10⁴ in Node; samples thinned, figures as recorded).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunRecord } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { accountingBars, accountingOf, liveMarks } from './accounting-bars.js';

const fixture = (name: string) => RunRecord.parse(JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}.json`, import.meta.url), 'utf8')));
const pyGlibc = fixture('py-medium-bytes-50k');
const pyJemalloc = fixture('py-medium-bytes-jemalloc-50k');
const nodeGlibc = fixture('small-buffers-20k');

const at = (bars: ReturnType<typeof accountingBars>, phase: string) => {
  const i = bars.phases.indexOf(phase as never);
  return Object.fromEntries(bars.segments.map((s) => [s.key, +(s.values[i]! / MiB).toFixed(2)]));
};

describe('accountingBars', () => {
  it('CPython under glibc: the brk heap holds what allocate added, from unreference on; parts that never reach 0.05 MiB are left out', () => {
    const bars = accountingBars(pyGlibc.summary!.accounting!, 'python');
    expect(bars.phases).toEqual(['allocate', 'unreference', 'collect', 'settle']);
    // pymalloc's free bytes moved by 3 KiB: no bar, no legend entry.
    expect(bars.segments.map((s) => s.label)).toEqual(['live', 'free in allocator: brk heap']);
    expect(at(bars, 'allocate')).toEqual({ live: 50.74, brkHeapFree: 0 });
    expect(at(bars, 'settle')).toEqual({ live: 0.01, brkHeapFree: 50.35 });
    expect(bars.rss.map((b) => +(b / MiB).toFixed(2))).toEqual([50.74, 50.36, 50.36, 50.36]);
  });

  it('CPython under jemalloc: dirty pages, pinned pages and metadata are segments of their own', () => {
    const bars = accountingBars(pyJemalloc.summary!.accounting!, 'python');
    expect(bars.segments.map((s) => s.label)).toEqual([
      'live', 'free in allocator: jemalloc dirty', 'free in allocator: jemalloc pinned', 'free in allocator: jemalloc metadata', 'unexplained',
    ]);
    expect(at(bars, 'settle')).toMatchObject({ live: -0.36, jemallocDirty: 41.62, jemallocPinned: 0.1, jemallocMetadata: 0.15, unexplained: 0.36 });
  });

  it('adds up to RSS above baseline at every phase end (up to the parts under 0.05 MiB left out)', () => {
    for (const run of [pyGlibc, pyJemalloc, nodeGlibc]) {
      const bars = accountingBars(run.summary!.accounting!, run.runtime);
      bars.rss.forEach((rss, i) => {
        const sum = bars.segments.reduce((total, s) => total + s.values[i]!, 0);
        expect(Math.abs(sum - rss)).toBeLessThan(0.1 * MiB);
      });
    }
  });

  it('Node: V8 pages, both glibc parts, and code pages as the rest', () => {
    const bars = accountingBars(nodeGlibc.summary!.accounting!, 'node');
    expect(bars.segments.map((s) => s.label)).toEqual([
      'live', 'free in runtime: V8 pages', 'free in allocator: brk heap', 'free in allocator: thread arenas', 'rest: code, files, stacks', 'unexplained',
    ]);
    expect(at(bars, 'collect')).toMatchObject({ live: 0.25, brkHeapFree: 81.35, rest: 3.81 });
  });

  it('has no segments without an accounting', () => {
    expect(accountingBars([])).toEqual({ phases: [], rss: [], segments: [] });
  });
});

describe('accountingOf', () => {
  it('an ended run: exactly the summary the verdict read', () => {
    expect(accountingOf({ ...pyGlibc, info: pyGlibc })).toBe(pyGlibc.summary!.accounting);
  });

  it('a run recorded before the accounting existed: none, not one the verdict never read', () => {
    const { accounting: _a, ...summary } = pyGlibc.summary!;
    expect(accountingOf({ ...pyGlibc, info: { ...pyGlibc, summary } })).toEqual([]);
  });

  it('a run still going: the same figures accounted here, phase end by phase end', () => {
    const running = { ...pyGlibc, status: 'running' as const, summary: null };
    const upToCollect = { info: running, phases: running.phases.map((p) => (p.name === 'settle' ? { name: p.name, start: p.start } : p)), heap: running.heap, breakdowns: running.breakdowns.filter((b) => b.phase !== 'settle') };
    expect(accountingOf(upToCollect)).toEqual(pyGlibc.summary!.accounting!.filter((a) => a.phase !== 'settle'));
  });
});

describe('liveMarks', () => {
  it('puts live at each phase end on the RSS scale: baseline RSS + live', () => {
    const marks = liveMarks(pyGlibc, pyGlibc.summary!.accounting!);
    const baseline = pyGlibc.breakdowns.find((b) => b.phase === 'baseline')!.rss;
    expect(marks.map((m) => m.phase)).toEqual(['allocate', 'unreference', 'collect', 'settle']);
    expect(marks.map((m) => m.t)).toEqual(pyGlibc.phases.slice(1).map((p) => p.end));
    expect(marks.map((m) => +((m.level - baseline) / MiB).toFixed(2))).toEqual([50.74, 0.01, 0, 0.01]);
  });

  it('has none without baseline\'s breakdown', () => {
    expect(liveMarks({ phases: pyGlibc.phases, breakdowns: pyGlibc.breakdowns.slice(1) }, pyGlibc.summary!.accounting!)).toEqual([]);
  });
});

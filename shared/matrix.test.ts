import { describe, expect, it } from 'vitest';
import { bestSentence, matrixRows, matrixSettingsFor, MATRIX_SETTINGS } from './matrix.js';
import type { RunInfo, Summary } from './run-record.js';
import { MiB } from './units.js';

const summary = (mem0: number, peak: number, mem3: number, mem4: number, verdict: Summary['verdict']): Summary => ({
  mem0: mem0 * MiB, mem1: peak * MiB, mem2: peak * MiB, mem3: mem3 * MiB, mem4: mem4 * MiB, peak: peak * MiB,
  allocationPct: 0, unreferencePct: 0, collectPct: 0, settlePct: 0, overallPct: 0, finalPct: 0, verdict, verdictText: verdict,
});
const run = (id: string, status: RunInfo['status'], s: Summary | null = null, error?: string): RunInfo => ({
  id, experiment: 'py-fragmentation', runtime: 'python', params: { n: 1000 }, status, createdAt: 1, sampleHz: 1000, sampler: 'proc',
  knobs: {}, workerEnv: {}, summary: s, ...(error && { error }),
});

describe('the allocator matrix', () => {
  it('tries four settings in Node and five in CPython, each a name and its knobs', () => {
    expect(matrixSettingsFor('node').map((s) => s.name)).toEqual(['glibc', 'glibc + trim', 'jemalloc', 'jemalloc decay 0']);
    expect(matrixSettingsFor('python').map((s) => s.name)).toEqual([...matrixSettingsFor('node').map((s) => s.name), 'PYTHONMALLOC=malloc']);
    expect(MATRIX_SETTINGS.find((s) => s.name === 'jemalloc decay 0')!.knobs).toEqual({ allocator: 'jemalloc', jemallocDirtyDecayMs: 0, jemallocMuzzyDecayMs: 0 });
  });

  it('tabulates each finished run and marks the one that kept the least after settle', () => {
    const rows = matrixRows([
      { setting: 'glibc', run: run('a', 'finished', summary(14, 268, 260, 260, 'retained by allocator')), allocateMs: 900 },
      { setting: 'glibc + trim', run: run('b', 'finished', summary(14, 268, 250, 250, 'retained by allocator')), allocateMs: 950 },
      { setting: 'PYTHONMALLOC=malloc', run: run('c', 'finished', summary(15, 300, 40, 19, 'released')), allocateMs: 1200 },
      { setting: 'jemalloc', run: run('d', 'failed', null, 'worker exited with code 1') },
      { setting: 'jemalloc decay 0', run: run('e', 'queued') },
    ]);
    expect(rows.map((r) => [r.setting, r.best])).toEqual([
      ['glibc', false], ['glibc + trim', false], ['PYTHONMALLOC=malloc', true], ['jemalloc', false], ['jemalloc decay 0', false],
    ]);
    expect(rows[2]).toEqual({
      setting: 'PYTHONMALLOC=malloc', runId: 'c', status: 'finished', best: true, baseline: 15 * MiB, peak: 300 * MiB,
      afterCollect: 40 * MiB, afterSettle: 19 * MiB, kept: 4 * MiB, verdict: 'released', allocateMs: 1200,
    });
    expect(rows[3]).toEqual({ setting: 'jemalloc', runId: 'd', status: 'failed', best: false, error: 'worker exited with code 1' });
  });

  it('marks none until a run finished, and the first on a tie', () => {
    expect(matrixRows([{ setting: 'glibc', run: run('a', 'running') }]).some((r) => r.best)).toBe(false);
    const tie = matrixRows([
      { setting: 'glibc', run: run('a', 'finished', summary(14, 100, 20, 20, 'released')) },
      { setting: 'jemalloc', run: run('b', 'finished', summary(10, 100, 16, 16, 'released')) },
    ]);
    expect(tie.map((r) => r.best)).toEqual([true, false]);
  });

  it('says which setting is best, by how much, and when that is only noise', () => {
    const rows = (...kept: number[]) => matrixRows(kept.map((k, i) => ({
      setting: ['glibc', 'glibc + trim', 'jemalloc'][i]!, run: run(`r${i}`, 'finished', summary(14, 300, 14 + k, 14 + k, 'retained by allocator')),
    })));
    expect(bestSentence(rows(246, 5, 120))).toBe('glibc + trim keeps the least: +5.0 MiB after settle, 241.0 MiB less than glibc (+246.0 MiB).');
    expect(bestSentence(rows(24.6, 24.5, 25))).toBe(
      'glibc + trim keeps the least: +24.5 MiB after settle, 0.1 MiB less than glibc (+24.6 MiB) — within 4 MiB, about the noise between two runs: no setting clearly gives back more than glibc.');
    expect(bestSentence(rows(2, 3))).toBe('glibc keeps the least: +2.0 MiB after settle.');
    expect(bestSentence(matrixRows([{ setting: 'glibc', run: run('a', 'running') }]))).toBe('No setting has finished yet.');
  });
});

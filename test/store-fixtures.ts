// Run records and directories for the store's tests: small, concrete, and valid.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord, Summary } from '../shared/run-record.js';

export const tempDir = () => mkdtempSync(join(process.env.MEMTIDE_TEST_DATA_ROOT ?? tmpdir(), 'memtide-store-'));

export const summary = (overallPct: number, verdict: Summary['verdict']): Summary => ({
  mem0: 1, mem1: 2, mem2: 2, mem3: 2, mem4: 2, peak: 2, allocationPct: 1, unreferencePct: 0, collectPct: 0, settlePct: 0,
  overallPct, finalPct: overallPct, verdict, verdictText: verdict,
});

export const record = (id: string, createdAt = 1_700_000_000_000, more: Partial<RunRecord> = {}): RunRecord => ({
  id, experiment: 'seed-strings', runtime: 'node', params: { n: 1000 }, status: 'cancelled', createdAt, endedAt: createdAt + 5,
  sampleHz: 100, sampler: 'proc-statm', summary: null, error: 'cancelled by the user', memoryCapMiB: 2048, wallClockCapS: 120,
  phases: [{ name: 'baseline', start: createdAt, end: createdAt + 1 }], samples: [{ t: createdAt + 0.25, rss: 40e6 }, { t: createdAt + 1.5, rss: 41e6 }],
  heap: [{ t: createdAt, heapUsed: 5e6, phase: 'baseline' }], knobs: {}, workerEnv: {}, breakdowns: [],
  ...more,
});


import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, parseRunJson, runToCsv, runToJson } from './run-export.js';
import type { RunRecord } from './run-record.js';

const record: RunRecord = {
  id: 'abc-1', experiment: 'seed-strings', runtime: 'node', params: { n: 1000 }, status: 'finished',
  createdAt: 1000, endedAt: 1500, sampleHz: 100, sampler: 'proc-statm', summary: null, knobs: {}, workerEnv: {}, breakdowns: [],
  phases: [{ name: 'baseline', start: 1010, end: 1100 }, { name: 'allocate', start: 1100, end: 1200 }],
  samples: [{ t: 1005, rss: 10 }, { t: 1050, rss: 11 }, { t: 1150, rss: 20 }, { t: 1300, rss: 12 }],
  heap: [{ t: 1010, heapUsed: 1, heapTotal: 2, external: 3, arrayBuffers: 4, phase: 'baseline' }, { t: 1120, heapUsed: 5, heapTotal: 6 }],
};

describe('runToCsv', () => {
  it('has a header and one row per sample, with heap figures and phase at that time', () => {
    const lines = runToCsv(record).trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + record.samples.length);
    expect(lines[1]).toBe('5.000,10,,,,,');
    expect(lines[2]).toBe('50.000,11,1,2,3,4,baseline');
    expect(lines[3]).toBe('150.000,20,5,6,,,allocate');
    expect(lines[4]).toBe('300.000,12,5,6,,,');
  });
});

describe('JSON export and import', () => {
  it('round-trips a record to an identical one', () => {
    const back = parseRunJson(runToJson(record));
    expect(back).toEqual({ ok: true, record });
  });
  it('rejects what is not a run, naming the field', () => {
    expect(parseRunJson('{')).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) });
    const bad = parseRunJson(JSON.stringify({ ...record, samples: [{ t: 1, rss: 'x' }] }));
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/samples\.0\.rss/) });
  });
});

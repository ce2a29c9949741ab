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
  it('has a header and a row per reading in time order: heap figures only where the runtime reported them', () => {
    const lines = runToCsv(record).trimEnd().split('\n');
    expect(lines).toEqual([
      CSV_COLUMNS.join(','),
      '5.000,10,,,,,',
      '10.000,,1,2,3,4,baseline', // a heap report: its own row, no RSS
      '50.000,11,,,,,baseline', // an RSS sample: no heap figures carried forward
      '120.000,,5,6,,,allocate',
      '150.000,20,,,,,allocate',
      '300.000,12,,,,,',
    ]);
  });

  it('merges an RSS sample and a heap report taken at the same time into one row', () => {
    const lines = runToCsv({ ...record, samples: [{ t: 1010, rss: 9 }], heap: [{ t: 1010, heapUsed: 1 }] }).trimEnd().split('\n');
    expect(lines.slice(1)).toEqual(['10.000,9,1,,,,baseline']);
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

// GET /api/runs/:id's check: what RunRecord says, with the samples checked by a loop.
import { describe, expect, it } from 'vitest';
import { record } from '../../test/store-fixtures.js';
import { RunRecord } from '../run-record.js';
import { describeZodError } from '../validation.js';
import { RunAnswer } from './http.js';

describe('RunAnswer', () => {
  it('gives what RunRecord gives for a valid record, extra sample keys dropped', () => {
    const json = JSON.parse(JSON.stringify({ ...record('a-1'), samples: [{ t: 1, rss: 2, extra: 3 }, { t: 4.5, rss: 0 }] }));
    expect(RunAnswer.parse(json)).toEqual(RunRecord.parse(json));
    expect(RunAnswer.parse(json).samples).toEqual([{ t: 1, rss: 2 }, { t: 4.5, rss: 0 }]);
  });

  it('names the first bad sample, as RunRecord would refuse it', () => {
    for (const bad of [{ t: 1, rss: -1 }, { t: '1', rss: 2 }, null, { t: 1 }]) {
      const json = { ...record('a-1'), samples: [{ t: 0, rss: 0 }, bad] };
      expect(RunRecord.safeParse(json).success).toBe(false);
      const answer = RunAnswer.safeParse(json);
      expect(answer.success).toBe(false);
      expect(describeZodError(answer.error!)).toBe('samples.1: must be { t, rss }: finite numbers ≥ 0');
    }
    expect(describeZodError(RunAnswer.safeParse({ ...record('a-1'), samples: 'x' }).error!)).toBe('samples: must be an array of samples');
  });
});

// The rules as the page states them, with the run's own figures, and which one decided.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunRecord, type Summary } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import { verdictRules } from './verdict-rules.js';

const summary = RunRecord.parse(JSON.parse(readFileSync(new URL('../../../test/fixtures/py-medium-bytes-50k.json', import.meta.url), 'utf8'))).summary!;
const decided = (s: Summary) => verdictRules(s).findIndex((r) => r.decided) + 1;

describe('verdictRules', () => {
  it('py-medium-bytes (retained, glibc-brk-heap): five rules with its threshold and noise band; the fifth decided', () => {
    const rules = verdictRules(summary);
    expect(rules).toHaveLength(5);
    expect(rules[0]!.text).toBe('allocate added less than the threshold (6.0 MiB) → inconclusive: too small, try a larger N.');
    expect(rules[3]!.text).toMatch(/^the shares above the noise band \(0\.50 MiB\) .* at least 50 % of the data kept/);
    expect(rules.map((r) => r.decided)).toEqual([false, false, false, false, true]);
  });

  it('names the rule behind each other outcome', () => {
    expect(decided({ ...summary, verdict: 'released', mechanism: undefined })).toBe(2);
    expect(decided({ ...summary, verdict: 'inconclusive', mechanism: 'still-falling' })).toBe(3);
    expect(decided({ ...summary, verdict: 'inconclusive', mechanism: 'unexplained' })).toBe(4);
    // too small: allocate added 50.7 MiB, over the threshold, so rule 2; under it, rule 1.
    expect(decided({ ...summary, verdict: 'inconclusive', mechanism: 'too-small' })).toBe(2);
    expect(decided({ ...summary, verdict: 'inconclusive', mechanism: 'too-small', noise: { ...summary.noise!, threshold: 64 * MiB } })).toBe(1);
  });

  it('states none for a run recorded before verdicts had noise figures', () => {
    const { noise: _n, ...old } = summary;
    expect(verdictRules(old)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { checkGates } from './gate.js';
import { MiB } from './units.js';

const summary = (verdict: 'released' | 'retained by allocator' | 'still referenced' | 'inconclusive', keptMiB: number) =>
  ({ mem0: 40 * MiB, mem4: (40 + keptMiB) * MiB, verdict });

describe('checkGates', () => {
  it('passes what holds and fails what does not, with the figures', () => {
    expect(checkGates(summary('released', 1.5), { expect: 'released', maxFinalMiB: 2 })).toEqual([
      { gate: '--expect', ok: true, text: '--expect released: the verdict is "released"' },
      { gate: '--max-final-mib', ok: true, text: '--max-final-mib 2: RSS after settle is 1.50 MiB above baseline (baseline 40.0 MiB, after settle 41.5 MiB)' },
    ]);
    expect(checkGates(summary('retained by allocator', 201), { expect: 'released', maxFinalMiB: 200 })).toEqual([
      { gate: '--expect', ok: false, text: '--expect released: the verdict is "retained by allocator", not "released"' },
      { gate: '--max-final-mib', ok: false, text: '--max-final-mib 200: RSS after settle is 201.00 MiB above baseline (baseline 40.0 MiB, after settle 241.0 MiB), over the 200 MiB allowed' },
    ]);
  });

  it('maps the words to verdicts: retained, referenced', () => {
    expect(checkGates(summary('retained by allocator', 9), { expect: 'retained' })[0]!.ok).toBe(true);
    expect(checkGates(summary('still referenced', 9), { expect: 'referenced' })[0]!.ok).toBe(true);
    expect(checkGates(summary('still referenced', 9), { expect: 'retained' })[0]!.ok).toBe(false);
  });

  it('an inconclusive run fails every --expect, and says why', () => {
    for (const word of ['released', 'retained', 'referenced'] as const) {
      const [result] = checkGates(summary('inconclusive', 0), { expect: word });
      expect(result!.ok).toBe(false);
      expect(result!.text).toMatch(/^--expect \w+: the verdict is "inconclusive" \(the run's signals were too small for its noise, or disagreed\), so it cannot show/);
    }
  });

  it('the limit is inclusive, and no gate asked means no result', () => {
    expect(checkGates(summary('released', 2), { maxFinalMiB: 2 })[0]!.ok).toBe(true);
    expect(checkGates(summary('released', 2), {})).toEqual([]);
  });
});

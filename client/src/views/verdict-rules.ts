// The verdict's rules in order (docs/verdicts.md §3, decided by shared/verdict.ts decideVerdict),
// written with this run's own threshold and noise band, and which rule decided this run — so the
// page states the rule inline, whether or not the docs are at hand.
import { VERDICT_RULES } from '../../../shared/summary.js';
import type { Summary } from '../../../shared/run-record.js';
import { formatMiB } from '../format.js';

export interface VerdictRule {
  text: string;
  /** The rule that gave this run its verdict. */
  decided: boolean;
}

const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** Empty for a run recorded before verdicts had their own noise figures (their rules were others). */
export function verdictRules(s: Summary): VerdictRule[] {
  if (!s.noise) return [];
  const threshold = formatMiB(s.noise.threshold);
  const band = formatMiB(s.noise.noiseBand, 2);
  const texts = [
    `allocate added less than the threshold (${threshold}) → inconclusive: too small, try a larger N.`,
    `data kept ≤ ${threshold} → released if at least ${pct(VERDICT_RULES.releasedAtLeast)} of allocate's growth is gone, else inconclusive (too small).`,
    `RSS fell by more than ${threshold} over the last half of settle → inconclusive: still falling, try a longer settle.`,
    `the shares above the noise band (${band}) — live; V8 pages or pymalloc arenas; brk heap; thread arenas; jemalloc dirty, muzzy, pinned, metadata — ` +
      `must explain at least ${pct(VERDICT_RULES.explainedAtLeast)} of the data kept, else inconclusive (unexplained).`,
    'the largest share decides: live → still referenced; any other → retained by allocator, with that mechanism named and what would return it.',
  ];
  const decided = decidingRule(s, s.noise.threshold);
  return texts.map((text, i) => ({ text, decided: i + 1 === decided }));
}

/** 1-based, as docs/verdicts.md numbers them. */
function decidingRule(s: Summary, threshold: number): number {
  if (s.verdict === 'released') return 2;
  switch (s.mechanism) {
    case 'too-small': {
      const grew = s.accounting?.find((a) => a.phase === 'allocate')?.rss ?? s.mem1 - s.mem0;
      return grew < threshold ? 1 : 2;
    }
    case 'still-falling':
      return 3;
    case 'unexplained':
      return 4;
    default:
      return 5;
  }
}

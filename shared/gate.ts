// A memory gate for CI: what a finished run must show for `memtide run --expect … --max-final-mib …`
// to exit 0. Pure, so every way a gate passes or fails is tested without a worker.
import { formatMiB } from './format.js';
import type { Summary, Verdict } from './run-record.js';
import { MiB } from './units.js';

/** The words `--expect` takes, and the verdict each stands for (shared/run-record.ts VERDICTS). */
export const EXPECT_WORDS = {
  released: 'released',
  retained: 'retained by allocator',
  referenced: 'still referenced',
} as const satisfies Record<string, Verdict>;
export type ExpectWord = keyof typeof EXPECT_WORDS;
export const isExpectWord = (word: string): word is ExpectWord => Object.hasOwn(EXPECT_WORDS, word);

export interface Gates {
  expect?: ExpectWord;
  /** The most RSS after settle may sit above baseline (mem4 − mem0), in MiB. */
  maxFinalMiB?: number;
}

export interface GateResult {
  gate: '--expect' | '--max-final-mib';
  ok: boolean;
  /** One line with the figures behind the outcome. */
  text: string;
}

/** Every gate asked for, checked against a finished run's summary: one result per gate. */
export function checkGates(summary: Pick<Summary, 'mem0' | 'mem4' | 'verdict'>, gates: Gates): GateResult[] {
  const results: GateResult[] = [];
  if (gates.expect !== undefined) {
    const want = EXPECT_WORDS[gates.expect];
    const got = summary.verdict;
    // An inconclusive run shows nothing either way, so it can pass no expectation.
    const text = got === 'inconclusive'
      ? `--expect ${gates.expect}: the verdict is "inconclusive" (the run's signals were too small for its noise, or disagreed), so it cannot show "${want}"`
      : `--expect ${gates.expect}: the verdict is "${got}"${got === want ? '' : `, not "${want}"`}`;
    results.push({ gate: '--expect', ok: got === want, text });
  }
  if (gates.maxFinalMiB !== undefined) {
    const kept = summary.mem4 - summary.mem0;
    const ok = kept <= gates.maxFinalMiB * MiB;
    results.push({
      gate: '--max-final-mib',
      ok,
      text: `--max-final-mib ${gates.maxFinalMiB}: RSS after settle is ${formatMiB(kept, 2)} above baseline ` +
        `(baseline ${formatMiB(summary.mem0)}, after settle ${formatMiB(summary.mem4)})${ok ? '' : `, over the ${gates.maxFinalMiB} MiB allowed`}`,
    });
  }
  return results;
}

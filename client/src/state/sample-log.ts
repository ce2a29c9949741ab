// A run's RSS samples, packed: times (ms) and RSS (bytes) in two growable Float64Arrays. States
// share them: a state holds a `length`, and appending writes past it in place only when no other
// state has written there yet (the log is at its tip); otherwise it copies. So apply() stays pure —
// an older state still reads exactly its own first `length` samples — and a 1 kHz stream costs
// O(1) per sample, not a copy of the whole run per batch. The chart decimates straight from these
// arrays: no second copy of the run on its way to the pixel.
import type { Sample } from '../../../shared/run-record.js';

export interface SampleLog {
  /** Shared storage; only indices below `length` belong to this log. */
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly length: number;
}

/** How far each storage array has been written, by whichever state got there first. */
const written = new WeakMap<Float64Array, number>();

export function emptyLog(capacity = 1024): SampleLog {
  const log = { xs: new Float64Array(capacity), ys: new Float64Array(capacity), length: 0 };
  written.set(log.xs, 0);
  return log;
}

export function logOf(samples: readonly Sample[]): SampleLog {
  return appendSamples(emptyLog(Math.max(1024, samples.length)), samples);
}

/** The samples newer than the log's last one, appended; the same log when none is newer. */
export function appendSamples(log: SampleLog, samples: readonly Sample[]): SampleLog {
  const last = log.length > 0 ? log.xs[log.length - 1]! : -Infinity;
  let from = 0;
  while (from < samples.length && samples[from]!.t <= last) from++; // a fetch and the stream overlap
  const count = samples.length - from;
  if (count === 0) return log;
  let { xs, ys } = log;
  const atTip = written.get(xs) === log.length;
  if (!atTip || log.length + count > xs.length) {
    const capacity = Math.max(1024, 2 ** Math.ceil(Math.log2(log.length + count)));
    const grown = { xs: new Float64Array(capacity), ys: new Float64Array(capacity) };
    grown.xs.set(xs.subarray(0, log.length));
    grown.ys.set(ys.subarray(0, log.length));
    ({ xs, ys } = grown);
  }
  let n = log.length;
  for (let i = from; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.t <= (n > 0 ? xs[n - 1]! : -Infinity)) continue; // out of order inside a batch: keep time increasing
    xs[n] = s.t;
    ys[n] = s.rss;
    n++;
  }
  written.set(xs, n);
  return { xs, ys, length: n };
}

export function logToSamples(log: SampleLog): Sample[] {
  const out: Sample[] = new Array(log.length);
  for (let i = 0; i < log.length; i++) out[i] = { t: log.xs[i]!, rss: log.ys[i]! };
  return out;
}

// The run's own noise, from its outside RSS samples: how much an idle worker's RSS moves during
// baseline (jitter), and where RSS was heading at the end of settle (drift). The verdict's thresholds
// come from these, so a signal smaller than the run's own noise never decides anything.
import type { Phase, Sample } from './run-record.js';

/** The first part of baseline is the worker settling in after its ready report: left out. */
const BASELINE_SKIP_MS = 50;

export interface RunNoise {
  /** max − min of RSS over baseline's idle samples (bytes). */
  jitter: number;
  /** How many samples that was measured on (few at a low sampleHz). */
  jitterSamples: number;
  /** RSS change over the last half of settle (bytes, negative while still falling). */
  settleDrift: number;
  /** Over how many ms of settle the drift was measured. */
  settleDriftMs: number;
}

const within = (samples: readonly Sample[], from: number, to: number) => samples.filter((s) => s.t >= from && s.t <= to);

/** Median RSS of a handful of samples: one late sample does not make a trend. */
function medianRss(samples: readonly Sample[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = samples.map((s) => s.rss).sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

export function measureNoise(phases: readonly Phase[], samples: readonly Sample[]): RunNoise {
  const baseline = phases.find((p) => p.name === 'baseline');
  const idle = baseline?.end === undefined ? [] : within(samples, baseline.start + BASELINE_SKIP_MS, baseline.end);
  const rss = idle.map((s) => s.rss);
  const jitter = rss.length > 1 ? Math.max(...rss) - Math.min(...rss) : 0;

  const settle = phases.find((p) => p.name === 'settle');
  let settleDrift = 0;
  let settleDriftMs = 0;
  if (settle?.end !== undefined) {
    const mid = (settle.start + settle.end) / 2;
    // A tenth of settle on each side of the measured half, at least 20 ms.
    const span = Math.max(20, (settle.end - settle.start) / 10);
    const atMid = medianRss(within(samples, mid - span / 2, mid + span / 2));
    const atEnd = medianRss(within(samples, settle.end - span, settle.end));
    if (atMid !== undefined && atEnd !== undefined) {
      settleDrift = atEnd - atMid;
      settleDriftMs = settle.end - mid;
    }
  }
  return { jitter, jitterSamples: rss.length, settleDrift, settleDriftMs };
}

// RSS readings as the sampler thread takes them: (t, rss) pairs packed in a Float64Array. They stay
// packed from the thread to the WebSocket (samplesJson writes the frame's JSON straight from the
// pairs) and in the run's log; they become { t, rss } objects only when a whole record is asked for.
import type { Sample } from '../../shared/run-record.js';

/** [t0, rss0, t1, rss1, …]: t in ms (shared/units.ts now()), rss in bytes. */
export type PackedSamples = Float64Array;

export const sampleCount = (packed: PackedSamples): number => packed.length >> 1;

export function unpackSamples(packed: PackedSamples, from = 0, to = packed.length >> 1): Sample[] {
  const out = new Array<Sample>(to - from);
  for (let i = from; i < to; i++) out[i - from] = { t: packed[2 * i]!, rss: packed[2 * i + 1]! };
  return out;
}

export const packSamples = (samples: readonly Sample[]): PackedSamples => Float64Array.from(samples.flatMap((s) => [s.t, s.rss]));

/**
 * The `samples` array of a WebSocket frame, exactly as JSON.stringify would write the objects
 * (a finite number prints the same through String() as through JSON), without building them.
 */
export function samplesJson(packed: PackedSamples): string {
  const parts = new Array<string>(packed.length >> 1);
  for (let i = 0; i < parts.length; i++) parts[i] = `{"t":${packed[2 * i]},"rss":${packed[2 * i + 1]}}`;
  return `[${parts.join(',')}]`;
}

/** A run's readings, appended batch by batch into one growing buffer (16 bytes a reading). */
export class SampleLog {
  private data = new Float64Array(2 * 4096);
  private used = 0;

  get count(): number {
    return this.used >> 1;
  }

  append(packed: PackedSamples): void {
    if (this.used + packed.length > this.data.length) {
      const grown = new Float64Array(Math.max(this.data.length * 2, this.used + packed.length));
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    this.data.set(packed, this.used);
    this.used += packed.length;
  }

  toSamples(): Sample[] {
    return unpackSamples(this.data, 0, this.count);
  }
}

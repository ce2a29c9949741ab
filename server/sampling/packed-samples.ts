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

/**
 * Stamps every reading to a whole µs, in place: finer is below what /proc reads resolve, and whole
 * µs is what the database's sample codec stores exactly (storage/sample-codec.ts), so a stored
 * run reads back equal to what was streamed.
 */
export function roundToMicros(packed: PackedSamples): PackedSamples {
  for (let i = 0; i < packed.length; i += 2) packed[i] = Math.round(packed[i]! * 1000) / 1000;
  return packed;
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

/**
 * Text written into Buffers of `chunk` bytes, never into one string: the JSON of a 120 s run is
 * 5 MB, and a string that size (or the parts joined into it) costs a copy and a long-lived heap.
 */
export class ChunkWriter {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private used = 0;

  constructor(private readonly chunk = 1 << 20) {
    this.buf = Buffer.allocUnsafe(chunk);
  }

  /** Text as UTF-8; `ascii` when it is known to be (JSON numbers and punctuation: a faster write). */
  put(text: string, ascii = false): void {
    const bytes = ascii ? text.length : Buffer.byteLength(text);
    if (this.used + bytes > this.buf.length) {
      this.chunks.push(this.buf.subarray(0, this.used));
      this.buf = Buffer.allocUnsafe(Math.max(this.chunk, bytes));
      this.used = 0;
    }
    this.used += this.buf.write(text, this.used, ascii ? 'latin1' : 'utf8');
  }

  finish(): Buffer[] {
    if (this.used > 0) this.chunks.push(this.buf.subarray(0, this.used));
    this.used = 0;
    return this.chunks;
  }
}

/**
 * Samples [from, to) of a samples array's JSON, as samplesJson writes them (without the brackets),
 * 256 samples to a string so that no string grows past ~12 KB.
 */
export function writeSamplesJson(out: ChunkWriter, packed: PackedSamples, from: number, to: number): void {
  let text = '';
  for (let i = from; i < to; i++) {
    text += `${i ? ',' : ''}{"t":${packed[2 * i]},"rss":${packed[2 * i + 1]}}`;
    if ((i & 255) === 255) {
      out.put(text, true);
      text = '';
    }
  }
  out.put(text, true);
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

// A run's RSS samples as one compact BLOB, lossless. Two layouts, both zlib-deflated (zlib's
// Adler-32 makes a damaged blob an error, not wrong numbers):
//   'mts1': 'MTS1' | count u32 | t0 (µs since the epoch, f64) | rss unit u32 | rss0 (units, f64),
//           then per sample a zigzag LEB128 varint of Δt in µs and one of Δrss in units. The
//           sampler stamps whole µs (sampler-thread.ts), so t = µs / 1000 comes back bit for bit;
//           RSS is pages (unit 4096). ~1.2–2.1 bytes a 1 kHz sample on disk.
//   'f64':  'MTF1' | count u32 | t[] f64 | rss[] f64: any other samples (runs recorded before the
//           µs stamps, imported files), still exact.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Sample } from '../../shared/run-record.js';
import { unpackSamples, type PackedSamples } from '../sampling/packed-samples.js';

export type SampleCodec = 'mts1' | 'f64';
export const SAMPLE_CODECS: readonly SampleCodec[] = ['mts1', 'f64'];

const VARINT_HEADER = 28;
const F64_HEADER = 8;
/** No run holds more: 24 h at 1 kHz. A count above it is a damaged blob, not an allocation to make. */
const MAX_SAMPLES = 100_000_000;

/** Whole µs that come back as the same double, or undefined. */
const micros = (t: number): number | undefined => {
  const us = Math.round(t * 1000);
  return Number.isSafeInteger(us) && us / 1000 === t ? us : undefined;
};

function rssUnit(samples: readonly Sample[]): number | undefined {
  if (!samples.every((s) => Number.isSafeInteger(s.rss))) return undefined;
  for (const unit of [4096, 1024]) if (samples.every((s) => s.rss % unit === 0)) return unit;
  return 1;
}

export function encodeSamples(samples: readonly Sample[]): { codec: SampleCodec; blob: Buffer } {
  const unit = rssUnit(samples);
  const varint = unit !== undefined && samples.every((s) => micros(s.t) !== undefined) ? encodeVarint(samples, unit) : undefined;
  return varint ? { codec: 'mts1', blob: deflateSync(varint) } : { codec: 'f64', blob: deflateSync(encodeF64(samples)) };
}

function encodeVarint(samples: readonly Sample[], unit: number): Buffer | undefined {
  const n = samples.length;
  // ≤ 8 bytes per varint for deltas below 2^53 (7 bits a byte): 2 per sample.
  const buf = Buffer.allocUnsafe(VARINT_HEADER + n * 16);
  buf.write('MTS1', 0, 'latin1');
  buf.writeUInt32LE(n, 4);
  const t0 = n ? micros(samples[0]!.t)! : 0;
  const r0 = n ? samples[0]!.rss / unit : 0;
  buf.writeDoubleLE(t0, 8);
  buf.writeUInt32LE(unit, 16);
  buf.writeDoubleLE(r0, 20);
  let o = VARINT_HEADER;
  const put = (v: number) => {
    let z = v >= 0 ? v * 2 : -v * 2 - 1; // zigzag, in doubles: safe integers stay exact
    while (z >= 0x80) {
      buf[o++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    buf[o++] = z;
  };
  let prevT = t0;
  let prevR = r0;
  for (const s of samples) {
    const t = micros(s.t)!;
    const r = s.rss / unit;
    if (!Number.isSafeInteger((t - prevT) * 2) || !Number.isSafeInteger((r - prevR) * 2)) return undefined; // absurd jumps: f64
    put(t - prevT);
    put(r - prevR);
    prevT = t;
    prevR = r;
  }
  return buf.subarray(0, o);
}

function encodeF64(samples: readonly Sample[]): Buffer {
  const n = samples.length;
  const buf = Buffer.alloc(F64_HEADER + n * 16);
  buf.write('MTF1', 0, 'latin1');
  buf.writeUInt32LE(n, 4);
  samples.forEach((s, i) => {
    buf.writeDoubleLE(s.t, F64_HEADER + i * 8);
    buf.writeDoubleLE(s.rss, F64_HEADER + (n + i) * 8);
  });
  return buf;
}

/** The samples back, or an Error saying what is wrong with the blob (never a partial series). */
export const decodeSamples = (codec: string, blob: Uint8Array): Sample[] => unpackSamples(decodePacked(codec, blob));

/** The same, packed [t0, rss0, t1, rss1, …] (no object per sample: what the JSON of a run is written from). */
export function decodePacked(codec: string, blob: Uint8Array): PackedSamples {
  let raw: Buffer;
  try {
    raw = inflateSync(blob);
  } catch (error) {
    throw new Error(`sample blob does not inflate (${(error as Error).message})`);
  }
  if (codec === 'mts1') return decodeVarint(raw);
  if (codec === 'f64') return decodeF64(raw);
  throw new Error(`unknown sample codec ${JSON.stringify(codec.slice(0, 20))}`);
}

function header(raw: Buffer, magic: string, size: number): number {
  if (raw.length < size || raw.toString('latin1', 0, 4) !== magic) throw new Error(`sample blob is not ${magic}`);
  const n = raw.readUInt32LE(4);
  if (n > MAX_SAMPLES) throw new Error(`sample blob claims ${n} samples`);
  return n;
}

function decodeVarint(raw: Buffer): PackedSamples {
  const n = header(raw, 'MTS1', VARINT_HEADER);
  let t = raw.readDoubleLE(8);
  const unit = raw.readUInt32LE(16);
  let r = raw.readDoubleLE(20);
  let o = VARINT_HEADER;
  const get = (): number => {
    let z = 0;
    let mul = 1;
    for (;;) {
      if (o >= raw.length || mul > 2 ** 56) throw new Error('sample blob ends inside a number');
      const b = raw[o++]!;
      z += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) break;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  };
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    t += get();
    r += get();
    out[2 * i] = t / 1000;
    out[2 * i + 1] = r * unit;
  }
  if (o !== raw.length) throw new Error(`sample blob has ${raw.length - o} bytes after its ${n} samples`);
  return checked(out);
}

function decodeF64(raw: Buffer): PackedSamples {
  const n = header(raw, 'MTF1', F64_HEADER);
  if (raw.length !== F64_HEADER + n * 16) throw new Error(`sample blob is ${raw.length} bytes, not ${F64_HEADER + n * 16} for ${n} samples`);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = raw.readDoubleLE(F64_HEADER + i * 8);
    out[2 * i + 1] = raw.readDoubleLE(F64_HEADER + (n + i) * 8);
  }
  return checked(out);
}

/** What the Sample schema would say, without building a zod issue per sample. */
function checked(packed: PackedSamples): PackedSamples {
  for (let i = 0; i < packed.length; i++) {
    const v = packed[i]!;
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`sample blob holds a bad sample (${i % 2 ? 'rss' : 't'} ${v} at ${i >> 1})`);
  }
  return packed;
}

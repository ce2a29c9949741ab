// The sample codec: lossless both ways, compact for what the sampler produces, loud on damage.
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../shared/run-record.js';
import { roundToMicros, packSamples, unpackSamples } from '../sampling/packed-samples.js';
import { decodeSamples, encodeSamples } from './sample-codec.js';

/** 1 kHz readings as the sampler stamps them: whole µs, jittered, RSS in pages. */
function sampled(n: number, start = 1_764_000_000_123.4567): Sample[] {
  const packed = new Float64Array(2 * n);
  let rss = 40 * 2 ** 20;
  for (let i = 0; i < n; i++) {
    packed[2 * i] = start + i + ((i * 7919) % 97) / 1000; // 0–96 µs of jitter
    rss += (((i * 104729) % 5) - 2) * 4096;
    packed[2 * i + 1] = rss;
  }
  return unpackSamples(roundToMicros(packed));
}

describe('sample codec', () => {
  it('stores 120 s of 1 kHz readings in under 8 bytes each and gives back the same numbers', () => {
    const samples = sampled(120_000);
    const { codec, blob } = encodeSamples(samples);
    expect(codec).toBe('mts1');
    expect(blob.length / samples.length).toBeLessThan(8);
    expect(decodeSamples(codec, blob)).toEqual(samples);
  });

  it('keeps times that are not whole µs and fractional RSS exactly, in the f64 layout', () => {
    const odd = [{ t: 1_764_000_000_000.123456789, rss: 1.5 }, { t: 1_764_000_000_001.2, rss: 4096 }];
    const { codec, blob } = encodeSamples(odd);
    expect(codec).toBe('f64');
    expect(decodeSamples(codec, blob)).toEqual(odd);
    expect(decodeSamples('mts1', encodeSamples([]).blob)).toEqual([]);
  });

  it('round-trips any valid samples (property)', () => {
    const sample = fc.record({ t: fc.double({ min: 0, max: 2e12, noNaN: true }), rss: fc.oneof(fc.nat().map((n) => n * 4096), fc.double({ min: 0, max: 1e12, noNaN: true })) });
    fc.assert(fc.property(fc.array(sample, { maxLength: 50 }), (samples) => {
      const { codec, blob } = encodeSamples(samples);
      expect(decodeSamples(codec, blob)).toEqual(samples.map((s) => ({ t: s.t === 0 ? 0 : s.t, rss: s.rss === 0 ? 0 : s.rss })));
    }));
    expect(packSamples(sampled(3)).length).toBe(6);
  });

  it('says what is wrong with a damaged blob instead of returning other numbers', () => {
    const { codec, blob } = encodeSamples(sampled(1000));
    const flipped = Buffer.from(blob);
    flipped[flipped.length >> 1]! ^= 0x10;
    expect(() => decodeSamples(codec, flipped)).toThrow(/does not inflate|blob/);
    const raw = inflateSync(blob);
    expect(() => decodeSamples(codec, deflateSync(raw.subarray(0, raw.length - 1)))).toThrow(/ends inside a number|samples/);
    expect(() => decodeSamples(codec, deflateSync(Buffer.concat([raw, Buffer.from([1])])))).toThrow(/1 bytes after its 1000 samples/);
    expect(() => decodeSamples('lz9', blob)).toThrow(/unknown sample codec "lz9"/);
    expect(() => decodeSamples('f64', blob)).toThrow(/not MTF1/);
  });
});

// Packed readings: the samples frame's JSON is exactly JSON.stringify's, and the log keeps every reading.
import { describe, expect, it } from 'vitest';
import { ServerMessage } from '../../shared/protocol/ws.js';
import { packSamples, sampleCount, SampleLog, samplesJson, unpackSamples } from './packed-samples.js';

describe('packed samples', () => {
  const samples = [{ t: 1764072000123.4567, rss: 45_678_592 }, { t: 1764072000124.5, rss: 0 }, { t: 0.1 + 0.2, rss: 2 ** 40 }];

  it('round-trip through packing', () => {
    const packed = packSamples(samples);
    expect(sampleCount(packed)).toBe(3);
    expect(unpackSamples(packed)).toEqual(samples);
    expect(unpackSamples(packed, 1, 2)).toEqual([samples[1]]);
  });

  it('write the same samples frame as JSON.stringify of the objects, and it validates', () => {
    for (const list of [samples, [], [{ t: 1e21, rss: 5e-7 }]]) {
      const text = `{"type":"samples","runId":"r-1","samples":${samplesJson(packSamples(list))}}`;
      expect(text).toBe(JSON.stringify({ type: 'samples', runId: 'r-1', samples: list }));
      expect(ServerMessage.parse(JSON.parse(text))).toEqual({ type: 'samples', runId: 'r-1', samples: list });
    }
  });

  it('SampleLog keeps every batch in order as it grows', () => {
    const log = new SampleLog();
    const all = Array.from({ length: 10_000 }, (_, i) => ({ t: i, rss: i * 4096 }));
    for (let i = 0; i < all.length; i += 7) log.append(packSamples(all.slice(i, i + 7)));
    expect(log.count).toBe(10_000);
    expect(log.toSamples()).toEqual(all);
  });
});

// Min/max decimation keeps every spike, stays in x order, and zooms into a range.
import { describe, expect, it } from 'vitest';
import { decimateMinMax, indexAtOrBefore, SeriesBuffer } from './series-buffer.js';

function series(n: number, y: (i: number) => number): SeriesBuffer {
  const s = new SeriesBuffer();
  for (let i = 0; i < n; i++) s.push(i / 1000, y(i));
  return s;
}

describe('decimateMinMax', () => {
  it('keeps a one-sample spike and the envelope of 200k points in ≤ 4 points per column', () => {
    const s = series(200_000, (i) => (i === 123_457 ? 500 : 40 + (i % 7)));
    const out = decimateMinMax(s, 0, 200, 1000);
    expect(out.length).toBeLessThanOrEqual(4 * 1000 + 4);
    expect(Math.max(...out.map((p) => p.y))).toBe(500);
    expect(Math.min(...out.map((p) => p.y))).toBe(40);
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThanOrEqual(out[i - 1]!.x);
  });

  it('passes small series through unchanged', () => {
    const s = series(50, (i) => i);
    expect(decimateMinMax(s, 0, 1, 100)).toHaveLength(50);
  });

  it('in a zoomed range keeps only its points plus one neighbour on each side', () => {
    const s = series(10_000, (i) => i);
    const out = decimateMinMax(s, 2, 3, 2000); // x = 2.000 … 3.000: 1001 points, plus 2 neighbours
    expect(out[0]!.x).toBeCloseTo(2, 9);
    expect(out.at(-1)!.x).toBeCloseTo(3.001, 9);
    expect(out).toHaveLength(1002);
  });
});

describe('indexAtOrBefore', () => {
  it('finds the last point at or before x', () => {
    const s = series(10, (i) => i);
    expect(indexAtOrBefore(s, 0.0045)).toBe(4);
    expect(indexAtOrBefore(s, 0.004)).toBe(4);
    expect(indexAtOrBefore(s, -1)).toBe(-1);
    expect(indexAtOrBefore(s, 99)).toBe(9);
  });
});

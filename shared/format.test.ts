// formatCount groups digits by hand (no Intl on the cards' first frame): it must write exactly
// what toLocaleString('en-US') writes, for every number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount } from './format.js';

describe('formatCount', () => {
  it('writes counts as en-US does', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(10_000_000)).toBe('10,000,000');
    expect(formatCount(-1234567.4)).toBe('-1,234,567');
    expect(formatCount(2.5)).toBe('3');
  });

  it('equals Math.round(n).toLocaleString("en-US") for any number', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), fc.double()), (n) => {
      expect(formatCount(n)).toBe(Math.round(n).toLocaleString('en-US'));
    }), { numRuns: 2000 });
  });
});

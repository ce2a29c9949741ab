import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './line-splitter.js';

function split(chunks: string[], max = 10) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const splitter = createLineSplitter(max, (l) => lines.push(l), (n) => overflows.push(n));
  const accepted = chunks.map((c) => splitter.push(c));
  return { lines, overflows, accepted };
}

describe('createLineSplitter', () => {
  it('joins lines split across chunks and drops \\r', () => {
    expect(split(['ab', 'c\nde\r\n', 'f', '\n']).lines).toEqual(['abc', 'de', 'f']);
  });
  it('keeps an unfinished line until its newline', () => {
    expect(split(['abc']).lines).toEqual([]);
  });
  it('stops at a line longer than the limit, even one that never ends', () => {
    const endless = split(['0123456789', 'x', 'more\n']);
    expect(endless.overflows).toEqual([11]);
    expect(endless.accepted).toEqual([true, false, false]);
    const long = split(['ok\n0123456789ab\nnext\n']);
    expect(long.lines).toEqual(['ok']);
    expect(long.overflows).toEqual([12]);
  });
});

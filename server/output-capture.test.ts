import { describe, expect, it } from 'vitest';
import { captureOutput } from './output-capture.js';

describe('captureOutput', () => {
  it('keeps everything under the bound', () => {
    const out = captureOutput(16);
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world\n'));
    expect(out.result()).toEqual({ text: 'hello world\n', bytes: 12, truncated: false });
  });
  it('keeps the first bytes, counts the rest, and does not leave half a character', () => {
    const out = captureOutput(5);
    out.push(Buffer.from('abcd'));
    out.push(Buffer.from('é and more')); // é is 2 bytes: only its first fits
    expect(out.result()).toEqual({ text: 'abcd', bytes: 4 + Buffer.byteLength('é and more'), truncated: true });
  });
});

// The statm parser on the bytes a read returns, and a real read of this very process.
import { describe, expect, it } from 'vitest';
import { hasProc, openStatm, pageSize, parseStatmRssBytes } from './proc-statm.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseStatmRssBytes', () => {
  it('takes the second field (resident pages) times the page size', () => {
    const text = '1234567 10240 2048 512 0 4096 0\n';
    expect(parseStatmRssBytes(bytes(text), text.length, 4096)).toBe(10240 * 4096);
  });
  it('reads only the bytes the read returned', () => {
    const buf = bytes('100 77 1 1 0 1 0\n999999');
    expect(parseStatmRssBytes(buf, 17, 4096)).toBe(77 * 4096);
  });
  it('throws on text that is not statm', () => {
    expect(() => parseStatmRssBytes(bytes('garbage'), 7, 4096)).toThrow(/unexpected statm/);
  });
});

describe.skipIf(!hasProc())('openStatm', () => {
  it("reads this process's RSS close to what Node reports, and undefined once closed", () => {
    const statm = openStatm(process.pid);
    const rss = statm.read()!;
    expect(Math.abs(rss - process.memoryUsage().rss)).toBeLessThan(16 * 1024 * 1024);
    expect(rss % pageSize()).toBe(0);
    statm.close();
    expect(statm.read()).toBeUndefined();
  });
});

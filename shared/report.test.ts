// Embedding runs in a report shell: the data stays data, whatever it holds.
import { describe, expect, it } from 'vitest';
import { embedReport, REPORT_SLOT, scriptSafeJson } from './report.js';

describe('report embedding', () => {
  it('writes every "<" escaped, so </script> and <!-- in run data cannot end the block', () => {
    const evil = '</script><img src=x onerror=alert(1)><!-- $& $1';
    const json = scriptSafeJson({ title: evil });
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual({ title: evil });
  });

  it('fills the one slot, keeping "$&" literal, and refuses a shell without one', () => {
    const shell = `<html><body>${REPORT_SLOT}<script>x</script></body></html>`;
    const data = { version: 1 as const, createdAt: 1, records: [], catalog: [], note: '$&' };
    const html = embedReport(shell, data as never);
    expect(html).toBe(`<html><body><script type="application/json" id="memtide-report">${scriptSafeJson(data)}</script><script>x</script></body></html>`);
    expect(() => embedReport('<html></html>', data as never)).toThrow(/no single data slot/);
  });
});

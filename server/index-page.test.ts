// The catalog goes into the page as data: nothing in it can end its block or run as script.
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../shared/catalog/experiment.js';
import { CATALOG_DATA_ID } from '../shared/catalog/page-data.js';
import { withCatalog } from './index-page.js';

const PAGE = '<html><head>\n<link rel="preload" href="/api/experiments" as="fetch" crossorigin="anonymous"  />\n</head><body></body></html>';

describe('withCatalog', () => {
  it('puts the catalog where its preload was; a crafted title stays text inside the one data block', () => {
    const crafted = [{ id: 'x', title: '</script><img src=x onerror="alert(1)"><!--', description: '\u2028<b>' }] as unknown as Experiment[];
    const html = withCatalog(PAGE, crafted);
    expect(html).not.toContain('preload');
    expect(html).not.toContain('<img');
    expect(html.match(/<\/script>/g)).toHaveLength(1); // the block's own end only
    const body = new RegExp(`<script type="application/json" id="${CATALOG_DATA_ID}">([^<]*)</script>`).exec(html)![1]!;
    expect(JSON.parse(body)).toEqual(crafted);
  });

  it('goes at the end of <head> in a page without the preload', () => {
    const html = withCatalog('<html><head><title>t</title></head><body></body></html>', []);
    expect(html).toBe(`<html><head><title>t</title><script type="application/json" id="${CATALOG_DATA_ID}">[]</script>\n</head><body></body></html>`);
  });
});

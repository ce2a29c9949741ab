// The dashboard's page as the server sends it: the built index.html with the experiment catalog
// this machine offers written into it (shared/catalog/page-data.ts), in place of the catalog's
// preload. Read from disk at each request (8 KB): a rebuild while the server runs is served as is.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Request, Response } from 'express';
import type { Experiment } from '../shared/catalog/experiment.js';
import { CATALOG_DATA_ID, CATALOG_PRELOAD } from '../shared/catalog/page-data.js';
import { dataBlock } from '../shared/report.js';

/** `html` with the catalog in it: where its preload was, else at the end of <head>. */
export function withCatalog(html: string, catalog: readonly Experiment[]): string {
  const block = dataBlock(CATALOG_DATA_ID, catalog);
  return CATALOG_PRELOAD.test(html) ? html.replace(CATALOG_PRELOAD, () => block) : html.replace('</head>', () => `${block}\n</head>`);
}

/** Sends the page from `clientDir`; the page is never cached, the catalog in it follows the machine. */
export function sendIndexPage(clientDir: string, catalog: () => readonly Experiment[]) {
  return (_req: Request, res: Response): void => {
    let html: string;
    try {
      html = readFileSync(resolve(clientDir, 'index.html'), 'utf8');
    } catch {
      // A rebuild has emptied the client's folder for a moment: ask again shortly, not a 500.
      res.status(503).set('Retry-After', '2').json({ error: 'the dashboard is being rebuilt: try again in a moment' });
      return;
    }
    res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }).send(withCatalog(html, catalog()));
  };
}

// The dashboard's page carries the experiment catalog in it, as a JSON data block, the way a report
// carries its runs (report.ts): server/index-page.ts writes it into the built index.html, the page's
// entry (client/src/main.ts) reads it before it builds any view, so the cards are drawn from the
// script's first run instead of after a request that could only be answered once that script had
// finished (~50–70 ms later on 2 cores, bench/first-paint.ts).

/** The id of the data block (<script type="application/json">: data, never run). */
export const CATALOG_DATA_ID = 'memtide-catalog';

/** What the block replaces in the built page: its preload of /api/experiments (what the Vite dev server's page keeps). */
export const CATALOG_PRELOAD = /<link rel="preload" href="\/api\/experiments"[^>]*>/;

// Where things are on disk. The server runs compiled (dist/server) or from source under vitest;
// workers always run compiled, so a worker never pays for a TypeScript loader in its baseline RSS.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

export const projectRoot = fromSource ? resolve(here, '..') : resolve(here, '../..');
export const distDir = resolve(projectRoot, 'dist');
export const clientDistDir = resolve(distDir, 'client');
export const nodeWorkerScript = resolve(distDir, 'server/workers/node-worker.js');
/** CPython runs its worker from source: there is nothing to build. */
export const pythonWorkerScript = resolve(projectRoot, 'server/workers/python-worker.py');

#!/usr/bin/env node
// The `memtide` command: builds the server if needed (quietly), then hands over to dist/server/cli.js.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.execPath, [join(root, 'scripts/ensure-build.mjs'), '--server'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
const { main } = await import(pathToFileURL(join(root, 'dist/server/cli.js')).href);
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code); // serve (-1) keeps running

#!/usr/bin/env node
// The `memtide` command: builds what is missing or stale (the server and workers; for `serve` the
// dashboard's client too, as `npm start` does, and for `report`), then hands over to dist/server/cli.js. The build's
// progress goes to stderr, so `run --json` prints nothing but the record. An installed package ships
// its build, and nothing is rebuilt (scripts/ensure-build.mjs).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const buildArgs = argv[0] === 'serve' || argv[0] === 'report' ? [] : ['--server']; // a report embeds the client's build
const build = spawnSync(process.execPath, [join(root, 'scripts/ensure-build.mjs'), ...buildArgs], { stdio: ['ignore', 2, 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
const { main } = await import(pathToFileURL(join(root, 'dist/server/cli.js')).href);
const code = await main(argv);
if (code >= 0) process.exit(code); // serve (-1) keeps running

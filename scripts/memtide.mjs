#!/usr/bin/env node
// The `memtide` command: builds what changed (the server and workers; for `serve` and `report` the
// dashboard's client too, as `npm start` does), then hands over to dist/server/cli.js in this same
// process. The build's progress goes to stderr, so `run --json` prints nothing but the record. An
// installed package ships its build, and nothing is rebuilt (scripts/ensure-build.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuild } from './ensure-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
// A report embeds the client's build, so `report` builds the client too.
ensureBuild({ serverOnly: argv[0] !== 'serve' && argv[0] !== 'report', out: 2 });
const { main } = await import(pathToFileURL(join(root, 'dist/server/cli.js')).href);
const code = await main(argv);
if (code >= 0) process.exit(code); // serve (-1) keeps running

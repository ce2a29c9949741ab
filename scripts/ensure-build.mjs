// Builds what is missing or older than its sources: the server and workers (tsc → dist/) and the
// client (vite build → dist/client). `--force` rebuilds both; `--clean` empties dist/ first (for
// `npm pack`, so no stale file ships); `--server` skips the client.
// An installed package (`npm install memtide`) ships dist/ built and none of the sources: there is
// nothing to rebuild, and nothing to rebuild it with (the @types are devDependencies), so it is used
// as it is.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const has = (path) => existsSync(join(root, path));

function newest(paths) {
  let latest = 0;
  for (const p of paths.map((x) => join(root, x))) {
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
      }
    } else latest = Math.max(latest, st.mtimeMs);
  }
  return latest;
}

const built = (stamp) => (has(stamp) ? statSync(join(root, stamp)).mtimeMs : 0);

/** A package's bin script, found the way Node finds the package (so hoisted installs work too). */
function binOf(pkg, name) {
  const manifestPath = createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  return join(dirname(manifestPath), typeof bin === 'string' ? bin : bin[name]);
}

function run(label, pkg, bin, scriptArgs) {
  console.log(`memtide: building ${label}…`);
  const result = spawnSync(process.execPath, [binOf(pkg, bin), ...scriptArgs], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`memtide: building ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

/** Without sources the shipped build is all there is: fine if it is there. */
function requireShipped(label, output) {
  if (has(output)) return;
  console.error(`memtide: ${output} is missing and there are no sources to build the ${label} from; reinstall memtide`);
  process.exit(1);
}

if (args.has('--clean')) rmSync(join(root, 'dist'), { recursive: true, force: true });

const serverStamp = 'dist/.server-built';
if (!has('tsconfig.build.json')) requireShipped('server', 'dist/server/cli.js');
else if (force || newest(['server', 'shared', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) > built(serverStamp)) {
  run('server', 'typescript', 'tsc', ['-p', 'tsconfig.build.json']);
  writeFileSync(join(root, serverStamp), new Date().toISOString());
}

const clientStamp = 'dist/client/index.html';
if (args.has('--server')) {
  // the API server only (npm run dev serves the client from Vite)
} else if (!has('vite.config.ts')) requireShipped('client', clientStamp);
else if (force || newest(['client', 'shared', 'vite.config.ts', 'package.json', 'package-lock.json']) > built(clientStamp)) {
  run('client', 'vite', 'vite', ['build', '--logLevel', 'warn']);
}

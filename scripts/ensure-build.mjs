// Builds what is missing or older than its sources: the server and workers (tsc → dist/) and the
// client (vite build → dist/client). `--force` rebuilds both; `--server` skips the client.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const force = args.has('--force');

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

const built = (stamp) => (existsSync(join(root, stamp)) ? statSync(join(root, stamp)).mtimeMs : 0);

function run(label, script, scriptArgs) {
  console.log(`memtide: building ${label}…`);
  const result = spawnSync(process.execPath, [join(root, script), ...scriptArgs], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`memtide: building ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

const serverStamp = 'dist/.server-built';
if (force || newest(['server', 'shared', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) > built(serverStamp)) {
  run('server', 'node_modules/typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
  writeFileSync(join(root, serverStamp), new Date().toISOString());
}

const clientStamp = 'dist/client/index.html';
if (!args.has('--server') && (force || newest(['client', 'shared', 'vite.config.ts', 'package.json']) > built(clientStamp))) {
  run('client', 'node_modules/vite/bin/vite.js', ['build', '--logLevel', 'warn']);
}

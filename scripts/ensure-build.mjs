// Builds what changed since the last build: the server and workers (tsc → dist/) and the client
// (vite build → dist/client). "Changed" is by content: a hash of every input file (sources,
// configs, package.json and package-lock.json, not tests) is kept beside the build, so a checkout,
// a `touch` or an `npm install` that rewrites package-lock.json unchanged rebuilds nothing.
// `--force` rebuilds both; `--clean` empties dist/ first (for `npm pack`, so no stale file ships);
// `--server` skips the client. Run as a script, or imported (scripts/start.mjs, scripts/memtide.mjs).
// An installed package (`npm install memtide`) ships dist/ built and none of the sources: there is
// nothing to rebuild, and nothing to rebuild it with (the @types are devDependencies), so it is used
// as it is.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const has = (path) => existsSync(join(root, path));

/** Files that do not go into a build: tests, and the Python worker (it runs from source). The
 * native sampler's C source is an input: it is compiled with the server (buildNativeSampler). */
const notAnInput = (path) => /\.test\.ts$|\.py$/.test(path);

/** One hash over the names and contents of every input file under `paths`, in a stable order. */
export function inputsHash(base, paths) {
  const files = [];
  for (const p of paths) {
    const full = join(base, p);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) files.push(relative(base, join(entry.parentPath, entry.name)));
      }
    } else files.push(p);
  }
  const hash = createHash('sha256');
  for (const file of files.filter((f) => !notAnInput(f)).sort()) hash.update(`${file}\0`).update(readFileSync(join(base, file))).update('\0');
  return hash.digest('hex');
}

const SERVER = { stamp: 'dist/.server-build-hash', output: 'dist/server/main.js', inputs: ['server', 'shared', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'] };
const CLIENT = { stamp: 'dist/.client-build-hash', output: 'dist/client/index.html', inputs: ['client', 'shared', 'vite.config.ts', 'package.json', 'package-lock.json'] };

/** The hash to build for, or undefined when the build there is of exactly these inputs. */
function staleHash({ stamp, output, inputs }, force) {
  const hash = inputsHash(root, inputs);
  const built = has(stamp) && has(output) ? readFileSync(join(root, stamp), 'utf8').trim() : '';
  return force || built !== hash ? hash : undefined;
}

/** A package's bin script, found the way Node finds the package (so hoisted installs work too). */
function binOf(pkg, name) {
  const manifestPath = createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  return join(dirname(manifestPath), typeof bin === 'string' ? bin : bin[name]);
}

function run(label, pkg, bin, scriptArgs, out) {
  const write = (line) => (out === 2 ? console.error(line) : console.log(line));
  write(`memtide: building ${label}…`);
  const result = spawnSync(process.execPath, [binOf(pkg, bin), ...scriptArgs], { cwd: root, stdio: ['ignore', out, 'inherit'] });
  if (result.status !== 0) {
    console.error(`memtide: building ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

/**
 * The native sampler (server/sampling/native-sampler.c) with the system's C compiler ($CC, else
 * cc). Without one memtide still works, sampling on a Node thread at ~2× the CPU: said once, here.
 */
function buildNativeSampler(out) {
  const source = join(root, 'server/sampling/native-sampler.c');
  const binary = join(root, 'dist/server/sampling/native-sampler');
  rmSync(binary, { force: true }); // never a stale one beside a new server
  const cc = process.env.CC || 'cc';
  const result = spawnSync(cc, ['-O2', '-o', binary, source], { cwd: root, stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    const why = result.error ? `no C compiler (${cc})` : `${cc} failed: ${result.stderr.trim().split('\n').slice(0, 3).join(' ')}`;
    console.error(`memtide: the native sampler was not built (${why}); RSS is sampled on a Node thread instead, at ~1.6× its CPU. Install a C compiler (Debian: gcc) and rebuild with npm run build.`);
  }
}

/** Without sources the shipped build is all there is: fine if it is there. */
function requireShipped(label, output) {
  if (has(output)) return;
  console.error(`memtide: ${output} is missing and there are no sources to build the ${label} from; reinstall memtide`);
  process.exit(1);
}

/**
 * Builds what is stale. `out` is where build progress goes (1: stdout, 2: stderr, so that
 * `memtide run --json` prints nothing but the record). Exits the process if a build fails.
 */
export function ensureBuild({ force = false, clean = false, serverOnly = false, out = 1 } = {}) {
  if (clean) rmSync(join(root, 'dist'), { recursive: true, force: true });
  if (!has('tsconfig.build.json')) requireShipped('server', 'dist/server/cli.js');
  else {
    const hash = staleHash(SERVER, force);
    if (hash) {
      run('server', 'typescript', 'tsc', ['-p', 'tsconfig.build.json'], out);
      buildNativeSampler(out);
      writeFileSync(join(root, SERVER.stamp), hash);
    }
  }
  if (serverOnly) return; // the API server only (npm run dev serves the client from Vite)
  if (!has('vite.config.ts')) requireShipped('client', CLIENT.output);
  else {
    const hash = staleHash(CLIENT, force);
    if (hash) {
      run('client', 'vite', 'vite', ['build', '--logLevel', 'warn'], out);
      writeFileSync(join(root, CLIENT.stamp), hash); // beside dist/client: vite empties that
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = new Set(process.argv.slice(2));
  ensureBuild({ force: args.has('--force'), clean: args.has('--clean'), serverOnly: args.has('--server') });
}

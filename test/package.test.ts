// The npm package: it ships the build (dist/ is not in git), and its `memtide` command works from an
// install — no sources, no devDependencies, dependencies outside the package — without rebuilding.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../server/storage/run-store.js';
import { tempDataDir } from './helpers.js';

const repo = resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
// --ignore-scripts: no prepack, so the test packs the build global-setup made instead of rebuilding it.
const npm = (...args: string[]) => spawnSync('npm', [...args, '--ignore-scripts'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });

describe('npm package', () => {
  it('ships the built server, workers and client, the bin script and the Python worker, and no sources', () => {
    const r = npm('pack', '--dry-run', '--json');
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    for (const path of [
      manifest.bin.memtide!,
      'scripts/ensure-build.mjs',
      'dist/server/cli.js',
      'dist/server/main.js',
      'dist/server/workers/node-worker.js',
      'dist/server/sampling/sampler-thread.js',
      'dist/shared/run-record.js',
      'dist/server/workers/native-burst-thread.js',
      'server/workers/python-worker.py',
      'server/workers/python_experiments.py',
      'dist/client/index.html',
    ]) expect(files).toContain(path);
    expect(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map') || f.startsWith('dist/bench/'))).toEqual([]);
  });

  describe('installed (tarball unpacked into node_modules, dependencies beside it)', () => {
    const project = tempDataDir();
    const pkg = join(project, 'node_modules/memtide');
    let bin = '';

    beforeAll(() => {
      const r = npm('pack', '--pack-destination', project);
      expect(r.status, r.stderr).toBe(0);
      const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!;
      mkdirSync(join(project, 'node_modules'));
      const untar = spawnSync('tar', ['xzf', tarball, '-C', 'node_modules'], { cwd: project, encoding: 'utf8' });
      expect(untar.status, untar.stderr).toBe(0);
      renameSync(join(project, 'node_modules/package'), pkg);
      // Only the runtime dependencies, hoisted beside the package as npm installs them (their own
      // dependencies resolve from the repo's node_modules, where the symlinks lead).
      for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
        if (!existsSync(join(repo, 'node_modules', dep))) continue; // an optional one this machine lacks
        symlinkSync(join(repo, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
      }
      bin = join(pkg, manifest.bin.memtide!);
    });

    const memtide = (...args: string[]) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.MEMTIDE_DATA;
      return spawnSync(process.execPath, [bin, ...args], { cwd: project, encoding: 'utf8', timeout: 60_000, env });
    };

    it('list prints the catalog, and nothing is rebuilt', () => {
      const r = memtide('list');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^seed-strings +node/m);
      expect(r.stderr).not.toMatch(/building/);
      expect(existsSync(join(pkg, 'dist/.server-built'))).toBe(false); // nothing was written into the package
    });

    it('run seed-strings runs the shipped worker and stores the run in ./.memtide/memtide.db', () => {
      const r = memtide('run', 'seed-strings', '--param', 'n=1000000', '--hz', '100');
      expect(r.status, r.stderr).toBe(0);
      for (const line of ['Allocation', 'Unreference', 'Collect', 'Overall']) expect(r.stdout).toMatch(new RegExp(`^${line}: -?\\d+\\.\\d\\d%`, 'm'));
      const store = new RunStore(join(project, '.memtide'), { readonly: true });
      expect(store.page({ limit: 5, sort: 'date', order: 'desc', filter: {} }).total).toBe(1);
      store.close();
    });

    it('run py-seed finds the Python worker in the package', () => {
      const r = memtide('run', 'py-seed', '--param', 'n=100000');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Overall: -?\d+\.\d\d%/m);
    });

    describe('serve', () => {
      let child: ReturnType<typeof spawn> | undefined;
      afterAll(() => {
        child?.kill('SIGTERM');
      });

      it('serves the dashboard and the API', async () => {
        child = spawn(process.execPath, [bin, 'serve'], { cwd: project, env: { ...process.env, PORT: '0', MEMTIDE_DATA: tempDataDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const url = await new Promise<string>((resolveUrl, reject) => {
          let out = '';
          child!.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /memtide: (http:\/\/\S+)/.exec(out);
            if (m) resolveUrl(m[1]!);
          });
          child!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
        });
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toMatch(/<!doctype html>/i);
        expect(await (await fetch(`${url}/api/health`)).json()).toMatchObject({ ok: true });
        expect(stderr).not.toMatch(/building/);
      });
    });
  });
});

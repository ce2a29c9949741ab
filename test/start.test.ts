// `npm start` exactly as the README runs it: one process under npm, so SIGTERM or SIGINT to the
// PID the user started stops the server and its workers; and it rebuilds only what really changed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../server/paths.js';
import { hasNativeSampler } from '../server/sampling/native-sampler.js';
import { RunStore } from '../server/storage/run-store.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { connectRecorder, postJson, tempDataDir } from './helpers.js';
import { childPids, commOf, isAlive, waitUntil } from './server-process.js';
// @ts-expect-error -- a plain .mjs script, typed by its use here
import { inputsHash } from '../scripts/ensure-build.mjs';

const leftover: number[] = [];
afterEach(() => {
  for (const pid of leftover.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** Every live descendant of pid, from /proc. */
const descendants = (pid: number): number[] => childPids(pid).flatMap((child) => [child, ...descendants(child)]);

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the npm process stops the server and its worker, and stores the run', async (signal) => {
    const dir = tempDataDir();
    const npm = spawn('npm', ['start'], { cwd: projectRoot, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', MEMTIDE_DATA: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    leftover.push(npm.pid!);
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /memtide: (http:\/\/\S+)/.exec(output);
        if (found) resolve(found[1]!);
      };
      npm.stdout.on('data', read);
      npm.stderr.on('data', read);
      void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
    });
    expect(output).not.toMatch(/building/); // global-setup built it: nothing changed since

    const ws = await connectRecorder(url);
    const { json } = await postJson(`${url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
    const started = await ws.waitFor((m): m is Extract<ServerMessage, { type: 'run-started' }> => m.type === 'run-started' && m.run.id === json.id);
    await ws.waitFor((m): m is ServerMessage => m.type === 'phase' && m.runId === json.id && m.phase === 'allocate');
    const tree = descendants(npm.pid!);
    leftover.push(...tree);
    // npm → the server itself (no shell between them) → the worker, and the run's native RSS
    // sampler where it was built (the next run's is started in this one's settle).
    expect(tree).toContain(started.run.pid!);
    const samplers = tree.filter((pid) => commOf(pid) === 'native-sampler');
    expect(samplers).toHaveLength(hasNativeSampler() ? 1 : 0);
    expect(tree).toHaveLength(2 + samplers.length);

    npm.kill(signal);
    expect(await exited).toBe(0);
    await waitUntil(() => tree.every((pid) => !isAlive(pid)), 'every process npm start made is gone', 5000);
    ws.close();
    expect(new RunStore(dir).load(json.id)).toMatchObject({ status: 'cancelled', error: 'cancelled: the server shut down' });
  });
});

describe('rebuilds by content', () => {
  it('touching package-lock.json and every source (what npm install and a checkout do) rebuilds nothing', () => {
    const now = new Date();
    for (const file of ['package-lock.json', 'package.json', ...readdirSync(join(projectRoot, 'server')).filter((f) => f.endsWith('.ts')).map((f) => `server/${f}`)]) {
      utimesSync(join(projectRoot, file), now, now);
    }
    const r = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: projectRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('the inputs hash follows names and contents, not times, and ignores tests', () => {
    const dir = tempDataDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;');
    writeFileSync(join(dir, 'lock.json'), '{}');
    const hash = () => inputsHash(dir, ['src', 'lock.json', 'missing.json']) as string;
    const first = hash();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    utimesSync(join(dir, 'src/a.ts'), new Date(0), new Date(0));
    writeFileSync(join(dir, 'lock.json'), '{}'); // rewritten, same bytes
    writeFileSync(join(dir, 'src/a.test.ts'), 'a test');
    expect(hash()).toBe(first);
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 2;');
    expect(hash()).not.toBe(first);
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;');
    expect(hash()).toBe(first);
    writeFileSync(join(dir, 'src/b.ts'), '');
    expect(hash()).not.toBe(first);
  });
});

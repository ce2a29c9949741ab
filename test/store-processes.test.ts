// Several real processes on one data directory: a second server is refused with the reason, a CLI
// run shows in a running server's history within a second, and a server and the CLI take turns
// (one run at a time per directory, whoever starts it).
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { connectRecorder, isRunEnd, listRuns, postJson, tempDataDir } from './helpers.js';
import { isAlive, killLeftoverServers, spawnServer } from './server-process.js';

const clis: number[] = [];
afterEach(() => {
  killLeftoverServers();
  for (const pid of clis.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** `memtide run …` as its own process; resolves when its stdout matches `until` (if given) and at exit. */
function cli(dir: string, args: string[]) {
  const child = spawn(process.execPath, ['scripts/memtide.mjs', 'run', ...args], { env: { ...process.env, MEMTIDE_DATA: dir } });
  clis.push(child.pid!);
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve(): void }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiters.filter((w) => w.re.test(stdout))) w.resolve();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  return {
    exited,
    output: () => ({ stdout, stderr }),
    printed: (re: RegExp) => (re.test(stdout) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve }))),
  };
}

type Stored = Extract<ServerMessage, { type: 'run-stored' }>;
type Started = Extract<ServerMessage, { type: 'run-started' }>;

describe('one data directory, several processes', () => {
  it('refuses a second server on the directory, naming the first', async () => {
    const dir = tempDataDir();
    const first = await spawnServer({ MEMTIDE_DATA: dir });
    await expect(spawnServer({ MEMTIDE_DATA: dir })).rejects.toMatchObject({
      code: 1,
      output: expect.stringMatching(new RegExp(`could not start: the memtide server at ${first.url.replace(/[.]/g, '\\.')} \\(pid ${first.pid}, since [^)]+\\) already uses the data directory .*: open that one, stop it, or set MEMTIDE_DATA to another directory`)),
    });
    first.child.kill('SIGTERM');
    await first.exited;
    // Gone (even by SIGKILL the lock goes with the process): the next one starts.
    const next = await spawnServer({ MEMTIDE_DATA: dir });
    next.child.kill('SIGKILL');
    await next.exited;
    const after = await spawnServer({ MEMTIDE_DATA: dir });
    after.child.kill('SIGTERM');
    await after.exited;
  });

  it('shows a CLI run in the running server\'s history within a second of being stored', async () => {
    const dir = tempDataDir();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const ws = await connectRecorder(server.url);
    const run = cli(dir, ['seed-strings', '--param', 'n=100000', '--json']);
    const stored = ws.waitFor((m): m is Stored => m.type === 'run-stored').then((m) => ({ m, at: Date.now() }));
    const { code, at: exitedAt } = await run.exited;
    expect(code, run.output().stderr).toBe(0);
    const record = RunRecord.parse(JSON.parse(run.output().stdout));
    const { m, at } = await stored;
    expect(m.run.id).toBe(record.id);
    // Stored before the CLI exits; the server polls every 250 ms.
    expect(at - exitedAt).toBeLessThan(1000);
    expect((await listRuns(server.url)).runs.map((r) => r.id)).toEqual([record.id]);
    expect(RunRecord.parse(await (await fetch(`${server.url}/api/runs/${record.id}`)).json())).toEqual(record);
    ws.close();
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('takes turns: a CLI run waits for the server\'s run, and the server\'s next run waits for the CLI\'s', async () => {
    const dir = tempDataDir();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const ws = await connectRecorder(server.url);
    const long = await postJson(`${server.url}/api/runs`, { experiment: 'small-objects', params: { n: 3_000_000 }, settleMs: 2000 });
    await ws.waitFor((m): m is Started => m.type === 'run-started' && m.run.id === long.json.id);
    const run = cli(dir, ['small-objects', '--param', 'n=3000000']);
    const serverEnd = await ws.waitFor(isRunEnd(long.json.id));
    await run.printed(/^baseline +start/m);
    expect(run.output().stderr).toMatch(/memtide: small-objects waits for its turn: the memtide server at http:\/\/127\.0\.0\.1:\d+ running small-objects \(pid \d+, since [^)]+\) holds this data directory's run slot/);
    // The CLI's run has the slot now: the server queues the next one behind it.
    const next = await postJson(`${server.url}/api/runs`, { experiment: 'seed-strings', params: { n: 100_000 } });
    expect(next.json).toMatchObject({ status: 'queued', position: 1 });
    const { code } = await run.exited;
    expect(code, run.output().stderr).toBe(0);
    const cliRun = await ws.waitFor((m): m is Stored => m.type === 'run-stored');
    const started = await ws.waitFor((m): m is Started => m.type === 'run-started' && m.run.id === next.json.id);
    // Never two at once: each started after the one before it had ended.
    expect(cliRun.run.createdAt).toBeGreaterThan(serverEnd.run.endedAt!);
    expect(started.run.createdAt).toBeGreaterThan(cliRun.run.endedAt!);
    await ws.waitFor(isRunEnd(next.json.id));
    expect(server.output()).toMatch(/memtide: seed-strings waits for its turn: a memtide CLI run running small-objects \(pid \d+, since [^)]+\) holds this data directory's run slot/);
    ws.close();
    server.child.kill('SIGTERM');
    await server.exited;
  });
});

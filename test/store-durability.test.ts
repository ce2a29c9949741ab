// The run database under trouble, with the built server as a real process: a disk that really fills
// up, a damaged or foreign file, and a data directory that is not what it should be. Every time the
// user is told what is wrong, the server keeps answering, and nothing is deleted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../server/storage/open-database.js';
import { RunStore } from '../server/storage/run-store.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { chromiumAvailable, launchChromium } from './browser.js';
import { connectRecorder, isRunEnd, listRuns, postJson, tempDataDir } from './helpers.js';
import { cannotMount, fillDisk, mountTmpfs, unmount } from './mounts.js';
import { killLeftoverServers, spawnServer, type ServerProcess } from './server-process.js';

const mounted: string[] = [];
afterEach(() => {
  killLeftoverServers();
  for (const dir of mounted.splice(0)) unmount(dir);
});

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

type Stored = Extract<ServerMessage, { type: 'run-stored' }>;

describe('a full disk', () => {
  it('tells the run, the list and the page it is not saved, keeps answering, and writes it once space is back', async (ctx) => {
    const dir = tempDataDir();
    if (!mountTmpfs(dir, 'size=4m')) return (cannotMount('disk-full test'), ctx.skip());
    mounted.push(dir);
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const ws = await connectRecorder(server.url);
    fillDisk(dir);

    const { json } = await postJson(`${server.url}/api/runs`, { experiment: 'seed-strings', params: { n: 100_000 } });
    const end = await ws.waitFor(isRunEnd(json.id));
    expect(end.run.unsaved).toMatch(/^could not store run .*: the disk holding .*memtide\.db is full \(SQLITE_FULL/);
    expect(server.output()).toMatch(new RegExp(`run ${json.id} is NOT stored: .*kept in memory and written as soon as that works`));
    // The server keeps answering, and says it everywhere the run is seen.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect((await listRuns(server.url)).runs[0]).toMatchObject({ id: json.id, status: 'finished', unsaved: expect.stringMatching(/full/) });
    expect(RunRecord.parse(await (await fetch(`${server.url}/api/runs/${json.id}`)).json()).unsaved).toMatch(/full/);
    const late = await connectRecorder(server.url);
    const hello = await late.waitFor((m): m is Extract<ServerMessage, { type: 'hello' }> => m.type === 'hello');
    expect(hello.unsaved.map((r) => r.id)).toEqual([json.id]);
    late.close();
    if (chromiumAvailable()) {
      const browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${server.url}/#/runs/${json.id}`);
      await page.waitForSelector('#status .unsaved-warning:has-text("1 run is not saved")');
      // Waited for: the warning comes with the hello, the run's own part once its fetch answers (slow under a full suite's load).
      await page.waitForSelector('#status:has-text("finished · NOT SAVED: could not store run")');
      await page.waitForSelector(`tr[data-run-id="${json.id}"] .tag.unsaved`);
      await browser.close();
    }

    rmSync(join(dir, 'filler'));
    const stored = await ws.waitFor((m): m is Stored => m.type === 'run-stored' && m.run.id === json.id, 10_000);
    expect(stored.run.unsaved).toBeUndefined();
    await ws.waitFor((m): m is ServerMessage => m.type === 'store' && m.unsaved.length === 0);
    ws.close();
    const record = RunRecord.parse(await (await fetch(`${server.url}/api/runs/${json.id}`)).json());
    await stop(server);
    const again = await spawnServer({ MEMTIDE_DATA: dir });
    expect(RunRecord.parse(await (await fetch(`${again.url}/api/runs/${json.id}`)).json())).toEqual({ ...record, unsaved: undefined });
    await stop(again);

    // The CLI says so by its exit code (the disk fills while it runs).
    const cli = spawn(process.execPath, ['scripts/memtide.mjs', 'run', 'seed-strings', '--param', 'n=100000'], { env: { ...process.env, MEMTIDE_DATA: dir } });
    let stdout = '';
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    await new Promise<void>((resolve) => cli.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^baseline +start/m.test(stdout)) resolve();
    }));
    fillDisk(dir);
    expect(await exited, stderr).toBe(4);
    expect(stderr).toMatch(/memtide: run \S+ finished but was NOT stored: .*full.* Rerun with --json to keep the record/);
    rmSync(join(dir, 'filler'));
    fillDisk(dir); // now with nothing open: the CLI cannot even open the database, and says so
    const refused = spawnSync(process.execPath, ['scripts/memtide.mjs', 'run', 'seed-strings'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMTIDE_DATA: dir } });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^memtide: could not open the database in .*memtide\.db: /m);
    expect(refused.stderr).not.toMatch(/ at /);
  });
});

describe('a data directory that is not right', () => {
  it('refuses a file that is not a memtide database, says how to recover, and leaves it as it was', async () => {
    const dir = tempDataDir();
    const notes = Buffer.from('my notes, not a database\n'.repeat(500));
    writeFileSync(join(dir, DATABASE_FILE), notes);
    const refused = spawnServer({ MEMTIDE_DATA: dir });
    await expect(refused).rejects.toMatchObject({ code: 1, output: expect.stringMatching(/could not start: could not open the database: .*memtide\.db is damaged or not a memtide database \(SQLITE_NOTADB.*memtide has not changed or deleted it.*sqlite3 .*\.recover/) });
    expect(readFileSync(join(dir, DATABASE_FILE)).equals(notes)).toBe(true);
  });

  it('serves what it can of a database with one damaged run, and names that run', async () => {
    const dir = tempDataDir();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    const ws = await connectRecorder(server.url);
    const ids: string[] = [];
    for (const n of [100_000, 200_000]) {
      const { json } = await postJson(`${server.url}/api/runs`, { experiment: 'seed-strings', params: { n } });
      await ws.waitFor(isRunEnd(json.id));
      ids.push(json.id);
    }
    ws.close();
    await stop(server);
    const db = new Database(join(dir, DATABASE_FILE));
    db.prepare('UPDATE run_data SET samples = ? WHERE seq = (SELECT seq FROM runs WHERE id = ?)').run(Buffer.from('damaged'), ids[0]);
    db.close();
    const again = await spawnServer({ MEMTIDE_DATA: dir });
    expect((await listRuns(again.url)).runs.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    const broken = await fetch(`${again.url}/api/runs/${ids[0]}`);
    expect(broken.status).toBe(500);
    expect((await broken.json()).error).toMatch(new RegExp(`^id: could not read run ${ids[0]}: run ${ids[0]}: sample blob does not inflate`));
    expect(RunRecord.parse(await (await fetch(`${again.url}/api/runs/${ids[1]}`)).json()).params).toEqual({ n: 200_000 });
    expect((await fetch(`${again.url}/api/health`)).status).toBe(200);
    await stop(again);
  });

  it('says MEMTIDE_DATA is a regular file, or read-only, or that memtide.db is a FIFO, instead of EEXIST or a hang', async (ctx) => {
    const dir = tempDataDir();
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(spawnServer({ MEMTIDE_DATA: join(dir, 'plain') })).rejects.toMatchObject({ code: 1, output: expect.stringMatching(/could not start: MEMTIDE_DATA .*plain is a regular file, not a directory/) });
    const fifo = join(dir, 'fifo-db');
    mkdirSync(fifo);
    execFileSync('mkfifo', [join(fifo, DATABASE_FILE)]);
    await expect(spawnServer({ MEMTIDE_DATA: fifo })).rejects.toMatchObject({ code: 1, output: expect.stringMatching(/memtide\.db is a FIFO, not a database file: memtide will not open it/) });
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    if (!mountTmpfs(readOnly, 'ro,size=1m')) return (cannotMount('read-only data directory'), ctx.skip());
    mounted.push(readOnly);
    await expect(spawnServer({ MEMTIDE_DATA: readOnly })).rejects.toMatchObject({ code: 1, output: expect.stringMatching(/the data directory .*ro is not writable \(its file system is read-only\)/) });
  });

  it('starts at once beside a FIFO and a link to /dev/zero named like runs, reporting both', async () => {
    const dir = tempDataDir();
    execFileSync('mkfifo', [join(dir, 'aaaa-fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero-1.json'));
    const started = Date.now();
    const server = await spawnServer({ MEMTIDE_DATA: dir });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(server.output()).toMatch(/skipped aaaa-fifo\.json in .*: a FIFO, not a regular file: not read/);
    expect(server.output()).toMatch(/skipped zero-1\.json in .*: a character device, not a regular file: not read/);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) * 1024;
    expect(rss).toBeLessThan(300 * 2 ** 20);
    expect((await listRuns(server.url)).total).toBe(0);
    await stop(server);
    const store = new RunStore(dir, { readonly: true });
    expect(store.page({ limit: 1, sort: 'date', order: 'desc', filter: {} }).total).toBe(0);
    store.close();
  });
});

// Watching real processes through the real server: victims that really hold memory, probes that
// really run in them (gdb, the Node inspector), refusals that never reach them.
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { ProbeAnswer, ProcessListAnswer, WatchAnswer } from '../shared/protocol/http.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { RunInfo, RunRecord } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { probeJemalloc } from '../server/machine.js';
import { gdbAvailability } from '../server/watch/gdb-probe.js';
import { connectRecorder, postJson, startTestServer } from './helpers.js';
import { fixture, killVictim, killVictims, spawnVictim, victimGone } from './victims.js';

// .ci/run installs both on a fresh machine; without them these say so and skip.
const hasGdb = gdbAvailability().allowed;
const jemalloc = probeJemalloc();

let app: RunningApp;
let ws: Awaited<ReturnType<typeof connectRecorder>>;
beforeAll(async () => {
  app = await startTestServer();
  ws = await connectRecorder(app.url);
});
afterEach(async () => {
  // Whatever happened: no watch left going, no victim left alive.
  await Promise.all(app.watches.list().map((w) => app.watches.stop(w.id)));
  killVictims();
});
afterAll(async () => {
  ws?.close();
  await app?.close();
});

const watchEnded = (id: string) => (m: ServerMessage): m is Extract<ServerMessage, { type: 'watch-ended' }> => m.type === 'watch-ended' && m.runId === id;
const startWatch = async (body: object) => {
  const { status, json } = await postJson(`${app.url}/api/watches`, body);
  expect(status, JSON.stringify(json)).toBe(201);
  return json.id as string;
};
const probe = (id: string, kind: string) => postJson(`${app.url}/api/watches/${id}/probe`, { kind });

describe.skipIf(!hasGdb)('watching a CPython process holding freed medium bytes', () => {
  it('shows them in the brk heap, trim returns them, the verdict says the allocator held them', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '200000']);
    const list = ProcessListAnswer.parse(await (await fetch(`${app.url}/api/processes`)).json());
    const entry = list.processes.find((p) => p.pid === victim.pid);
    expect(entry).toMatchObject({ runtime: 'python', allocator: 'glibc' });
    expect(entry!.rss).toBeGreaterThan(180 * MiB);
    expect(list.processes.find((p) => p.pid === process.pid)?.refusal).toBe('memtide itself');

    const id = await startWatch({ pid: victim.pid, probes: true });
    const breakdown = await ws.waitFor((m): m is Extract<ServerMessage, { type: 'watch-breakdown' }> => m.type === 'watch-breakdown' && m.runId === id);
    expect(breakdown.breakdown.brkHeap).toBeGreaterThan(180 * MiB);
    expect((await postJson(`${app.url}/api/watches/${id}/markers`, { label: 'before the probes' })).status).toBe(201);

    const gc = await probe(id, 'gc');
    expect(gc.status, JSON.stringify(gc.json)).toBe(200);
    expect(ProbeAnswer.parse(gc.json)).toMatchObject({ kind: 'gc', method: 'gdb', status: 'done', result: expect.stringMatching(/^gc\.collect\(\) found \d+ unreachable objects$/) });

    const trim = ProbeAnswer.parse((await probe(id, 'trim')).json);
    expect(trim).toMatchObject({ kind: 'trim', method: 'gdb', status: 'done', result: 'malloc_trim(0) returned 1: memory was released' });
    const brkBefore = trim.before.breakdown!.brkHeap;
    expect(trim.returned!).toBeGreaterThanOrEqual(0.8 * brkBefore);
    expect(trim.after!.breakdown!.brkHeap).toBeLessThan(0.2 * brkBefore);
    expect(trim.pausedMs!).toBeGreaterThan(0);

    expect((await postJson(`${app.url}/api/watches/${id}/stop`, {})).json).toEqual({ ok: true });
    const ended = await ws.waitFor(watchEnded(id));
    expect(ended.run.watch).toMatchObject({ endReason: 'stopped by the user', verdict: { verdict: 'retained by allocator' } });
    expect(ended.run.watch!.verdict!.text).toMatch(/^The allocator was holding it: malloc_trim returned \d+\.\d MiB \(\d+ % of RSS\), most of it in glibc's brk heap/);

    // Stored like a run, and listed with them.
    const stored = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${id}`)).json());
    expect(stored).toMatchObject({ kind: 'watch', status: 'finished', runtime: 'python', params: { pid: victim.pid } });
    expect(stored.watchTimeline!.markers.map((m) => m.label)).toEqual(['before the probes']);
    expect(stored.watchTimeline!.probes.map((p) => p.kind)).toEqual(['gc', 'trim']);
    expect(stored.samples.length).toBeGreaterThan(1000);
    expect(stored.watchTimeline!.smapsRates.length).toBeGreaterThan(0);
    const runs = RunInfo.array().parse(await (await fetch(`${app.url}/api/runs`)).json());
    expect(runs.find((r) => r.id === id)).toMatchObject({ kind: 'watch' });
    expect(WatchAnswer.parse(await (await fetch(`${app.url}/api/watches/${id}`)).json()).id).toBe(id);
  });
});

describe('watching a Node process that dropped its Buffers', () => {
  it('the GC probe over the inspector lowers its heap figures; gdb probes need probes: true', async () => {
    const victim = await spawnVictim(process.execPath, [fixture('victim-buffers.mjs'), '100']);
    const id = await startWatch({ pid: victim.pid, sampleHz: 200 });
    const trim = await probe(id, 'trim');
    expect(trim.status).toBe(403);
    expect(trim.json.error).toMatch(/^trim: this watch was started with gdb probes off \("Allow gdb probes" in the dashboard, probes: true in the API/);

    const gc = ProbeAnswer.parse((await probe(id, 'gc')).json);
    expect(gc).toMatchObject({ kind: 'gc', method: 'inspector', status: 'done' });
    expect(gc.before.heap!.arrayBuffers!).toBeGreaterThan(90 * MiB);
    expect(gc.after!.heap!.arrayBuffers!).toBeLessThan(10 * MiB);
    expect(gc.returned!).toBeGreaterThan(60 * MiB);
    // The inspector was closed again: the victim says so on its stderr.
    expect(victim.output()).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('refusals', () => {
  it.skipIf(typeof jemalloc === 'string' || !hasGdb)('trim under jemalloc is refused with the reason', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '1000'], { LD_PRELOAD: typeof jemalloc === 'string' ? '' : jemalloc.path });
    const id = await startWatch({ pid: victim.pid, probes: true, sampleHz: 100 });
    const trim = await probe(id, 'trim');
    expect(trim.status).toBe(409);
    expect(trim.json.error).toBe(`trim: pid ${victim.pid} allocates with jemalloc (libjemalloc.so.2), not glibc's malloc: malloc_trim(0) would not return its memory`);
    expect(RunRecord.parse(await (await fetch(`${app.url}/api/watches/${id}`)).json()).watchTimeline!.probes).toEqual([]);
  });

  it('PID 1, the server, its own children, a gone pid and bad bodies are 4xx naming the reason', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const cases: [object, number, RegExp][] = [
        [{ pid: 1 }, 403, /^pid: 1 is the init process/],
        [{ pid: process.pid }, 403, new RegExp(`^pid: ${process.pid} is memtide itself`)],
        [{ pid: child.pid }, 403, /was started by memtide/],
        [{ pid: 4_000_000 }, 404, /^pid: no process 4000000$/],
        [{ pid: -3 }, 400, /^pid: must be a process id/],
        [{ pid: 12, sampleHz: 5000 }, 400, /^sampleHz: must be a number from 1 to 1000/],
        [{ pid: 12, extra: 1 }, 400, /^extra: unknown field/],
      ];
      for (const [body, status, error] of cases) {
        const answer = await postJson(`${app.url}/api/watches`, body);
        expect([body, answer.status, answer.json.error]).toEqual([body, status, expect.stringMatching(error)]);
      }
      expect(app.watches.list()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the target exiting', () => {
  it('ends the watch and stores its record', async () => {
    const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), '1000']);
    const id = await startWatch({ pid: victim.pid, sampleHz: 500 });
    while ((app.watches.get(id)?.samples.length ?? 0) < 50) await new Promise((r) => setTimeout(r, 20));
    // Listed with the runs while it goes, as main listed it before the history was paged.
    expect((await (await fetch(`${app.url}/api/runs?limit=5`)).json()).runs[0]).toMatchObject({ id, kind: 'watch', status: 'running' });
    expect((await (await fetch(`${app.url}/api/runs`)).json())[0]).toMatchObject({ id, kind: 'watch', status: 'running' });
    killVictim(victim);
    expect(await victimGone(victim)).toBe(true);
    const ended = await ws.waitFor(watchEnded(id), 10_000);
    expect(ended.run).toMatchObject({ kind: 'watch', status: 'finished', watch: { endReason: 'the process exited' } });
    const stored = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${id}`)).json());
    expect(stored.samples.length).toBeGreaterThanOrEqual(50);
    // In the run database like a run, as kind 'watch', and found by the history's filters.
    expect(app.registry.store.db.prepare('SELECT kind, experiment, runtime, status FROM runs WHERE id = ?').get(id)).toEqual({ kind: 'watch', experiment: 'watch', runtime: 'python', status: 'finished' });
    const page = await (await fetch(`${app.url}/api/runs?experiment=watch&runtime=python`)).json();
    expect(page.runs.map((r: { id: string }) => r.id)).toContain(id);
    expect((await postJson(`${app.url}/api/watches/${id}/markers`, { label: 'late' })).status).toBe(409);
  });
});

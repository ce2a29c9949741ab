// Whatever a worker does — grow past its cap, hang, crash, die by SIGKILL, talk nonsense — its run
// ends failed with the reason, and the server and its other clients go on.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { RunRegistry } from '../server/run-registry.js';
import { parseRunRequest, type RunRequest } from '../server/run-request.js';
import { RunStore } from '../server/storage/run-store.js';
import { spawnProcess } from '../server/worker-process.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { connectRecorder, isRunEnd, postJson, runToEnd as runRequest, startTestServer, tempDataDir } from './helpers.js';

const ROGUE = fileURLToPath(new URL('./fixtures/rogue-worker.mjs', import.meta.url));
/** Alive and not a zombie: an orphan killed here may wait a while for a reaper that is not there. */
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

/** Runs one Run to its end; `rogue` swaps the real worker for a misbehaving one (`nodeArgs` before it). */
async function runToEnd(options: Partial<Omit<RunRequest, 'experiment'>> & { experiment?: string; rogue?: string; nodeArgs?: string[] }): Promise<RunRecord> {
  const { experiment = 'seed-strings', rogue, nodeArgs = [], ...request } = options;
  const { record } = await runRequest({ params: { n: 1000 }, sampleHz: 100, ...request, experiment: { id: experiment, runtime: 'node' } }, {
    spawn: rogue ? (_runtime, _spec, events) => spawnProcess({ file: process.execPath, args: [...nodeArgs, ROGUE, rogue] }, events) : undefined,
  });
  return record;
}

describe('caps', () => {
  it('kills a worker whose sampled RSS passes the memory cap, keeping what was sampled', async () => {
    const cap = 256;
    const record = await runToEnd({ experiment: 'big-buffers', params: { n: 1024, size: MiB }, memoryCapMiB: cap });
    expect(record.status).toBe('failed');
    expect(record.error).toBe(`killed: exceeded memory cap ${cap} MiB at phase allocate`);
    expect(record.memoryCapMiB).toBe(cap);
    const peak = Math.max(...record.samples.map((s) => s.rss));
    expect(peak).toBeGreaterThan(cap * MiB); // the breaching sample is on the chart
    expect(peak).toBeLessThan(1024 * MiB); // killed long before the 1 GiB it asked for
    expect(pidAlive(record.pid!)).toBe(false);
    const breach = record.samples.find((s) => s.rss > cap * MiB)!;
    console.log(`memory cap ${cap} MiB: first sample over it ${(breach.rss / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, ` +
      `worker gone ${(record.endedAt! - breach.t).toFixed(1)} ms after that sample, ${record.samples.length} samples kept`);
  });

  it('at sampleHz 1 the cap still holds: big-buffers 512 × 16 MiB under 256 MiB is killed near the cap', async () => {
    // Before the watchdog ran at its own rate (run-limits.ts MEMORY_WATCH_HZ) this run reached 549 MiB.
    const cap = 256;
    const record = await runToEnd({ experiment: 'big-buffers', params: { n: 512, size: 16 * MiB }, memoryCapMiB: cap, sampleHz: 1 });
    expect(record.status).toBe('failed');
    expect(record.error).toBe(`killed: exceeded memory cap ${cap} MiB at phase allocate`);
    const peak = Math.max(...record.samples.map((s) => s.rss));
    expect(peak).toBeGreaterThan(cap * MiB); // the breach is on the timeline
    // ~1.75 MiB/ms of 16 MiB buffers here: ≤ 4 ms between checks, then the kill's latency.
    expect(peak).toBeLessThan((cap + 64) * MiB);
    expect(record.samples.length).toBeLessThanOrEqual(4); // 1 Hz: the baseline readings and the breach
    console.log(`memory cap ${cap} MiB at sampleHz 1: breach recorded at ${(peak / MiB).toFixed(1)} MiB, ${record.samples.length} samples`);
  });

  it("reports V8's own heap limit (--max-old-space-size) as the memory cap", async () => {
    // A worker whose V8 heap is capped far below the RSS cap, so V8's own abort is what stops it.
    const record = await runToEnd({ rogue: 'grow-heap', nodeArgs: ['--max-old-space-size=16'], memoryCapMiB: 2048 });
    expect(record.status).toBe('failed');
    expect(record.error).toBe('killed: exceeded memory cap 2048 MiB at phase baseline (V8 heap limit)');
  });

  it('kills a hung worker at the wall-clock cap', async () => {
    const record = await runToEnd({ rogue: 'hang', wallClockCapS: 0.5 });
    expect(record.status).toBe('failed');
    expect(record.error).toBe('killed: exceeded wall-clock cap 0.5 s at phase baseline');
    expect(pidAlive(record.pid!)).toBe(false);
  });
});

describe('misbehaving workers', () => {
  it.each([
    ['not-json', /^worker sent a line that is not JSON: "this is not JSON"$/],
    ['unknown-type', /^worker sent an invalid message: type: /],
    ['bad-field', /^worker sent an invalid message: heap\.rss: /],
    ['endless-line', /^worker sent a line longer than 65536 bytes/],
    ['unstarted-phase', /^worker ended phase collect that had not started$/],
    ['flood', /^worker sent more than 200000 heap reports$/],
    ['crash', /^worker exited with code 1 before finishing: .*boom from the rogue worker/],
    ['exit-early', /^worker exited with code 0 before finishing$/],
    ['exit-3', /^worker exited with code 3 before finishing$/],
    ['out-of-order', /^worker started phase collect out of order \(expected allocate\)$/],
  ])('%s → failed with the reason, worker gone', async (mode, reason) => {
    const record = await runToEnd({ rogue: mode });
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(reason);
    expect(pidAlive(record.pid!)).toBe(false);
  });

  it('a worker that reports an error and lingers is still killed at the wall-clock cap', async () => {
    const record = await runToEnd({ rogue: 'error-and-linger', wallClockCapS: 1 });
    expect(record.status).toBe('failed');
    expect(record.error).toBe('worker failed in phase baseline: something broke');
    // Killed at once, not left to run past its caps.
    expect(record.endedAt! - record.createdAt).toBeLessThan(1000);
    expect(pidAlive(record.pid!)).toBe(false);
  });

  it('a worker that forked a grandchild holding its report pipe: cancel ends the run and kills both', async () => {
    let grandchild = 0;
    let cancel = () => undefined as void;
    const { record } = await runRequest({ experiment: { id: 'seed-strings', runtime: 'node' }, params: { n: 1000 }, sampleHz: 100 }, {
      onStart: (run) => (cancel = () => run.cancel()),
      spawn: (_runtime, _spec, events) => spawnProcess({ file: process.execPath, args: [ROGUE, 'fork-grandchild'] }, {
        ...events,
        onMessage: (m) => {
          if (m.type === 'heap') {
            grandchild = m.heap.rss!;
            setTimeout(() => cancel(), 100);
          }
          events.onMessage(m);
        },
      }),
    });
    expect(record.status).toBe('cancelled');
    expect(grandchild).toBeGreaterThan(0);
    expect(pidAlive(record.pid!)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(pidAlive(grandchild)).toBe(false);
  });
});

describe('the queue survives a worker that cannot be spawned', () => {
  it('never runs two at once when a queued run fails to start', async () => {
    let calls = 0;
    const registry = new RunRegistry({
      events: { send: () => undefined, samples: () => undefined, watching: () => false },
      store: new RunStore(tempDataDir()),
      // The second spawn fails as a missing executable would; the others are real workers.
      spawn: (_runtime, _spec, events) => {
        calls++;
        if (calls === 2) return spawnProcess({ file: '/nonexistent/memtide-worker', args: [] }, events);
        return spawnProcess({ file: process.execPath, args: [ROGUE, 'hang'] }, events);
      },
    });
    const request = parseRunRequest({ experiment: 'seed-strings', params: { n: 1000 } }, machine());
    if (!request.ok) throw new Error(request.error);
    const ids = [1, 2, 3, 4].map(() => registry.submit(request.request));
    expect(ids.every((r) => r.ok)).toBe(true);
    const idOf = (i: number) => (ids[i]!.ok ? ids[i]!.id : '');
    registry.cancel(idOf(0)); // A ends; B cannot spawn; C starts; D waits
    await new Promise((r) => setTimeout(r, 500));
    const running = registry.list().filter((r) => r.status === 'running').map((r) => r.id);
    expect(running).toEqual([idOf(2)]);
    expect(registry.get(idOf(1))!.status).toBe('failed');
    expect(registry.get(idOf(3))!.status).toBe('queued');
    await registry.shutdown();
  });
});

describe('the server goes on', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a worker killed with kill -9 fails its run; both clients stay connected and the next run finishes', async () => {
    const [a, b] = [await connectRecorder(app.url), await connectRecorder(app.url)];
    const { json } = await postJson(`${app.url}/api/runs`, { experiment: 'small-objects', params: { n: 10_000_000 } });
    const started = await a.waitFor((m): m is Extract<ServerMessage, { type: 'run-started' }> => m.type === 'run-started' && m.run.id === json.id);
    await a.waitFor((m): m is ServerMessage => m.type === 'phase' && m.runId === json.id && m.phase === 'allocate');
    process.kill(started.run.pid!, 'SIGKILL');
    for (const client of [a, b]) {
      const end = await client.waitFor(isRunEnd(json.id));
      expect(end.type === 'run-failed' && end.error).toMatch(/^worker killed by SIGKILL before finishing/);
    }
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${json.id}`)).json());
    expect(record.samples.length).toBeGreaterThan(0);

    const next = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 1_000_000 } });
    expect(next.status).toBe(201);
    for (const client of [a, b]) expect((await client.waitFor(isRunEnd(next.json.id))).type).toBe('run-finished');
    expect([a.socket.readyState, b.socket.readyState]).toEqual([a.socket.OPEN, b.socket.OPEN]);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    a.close();
    b.close();
  });

  it('a memory cap asked for in the request kills the run, over HTTP and WebSocket', async () => {
    const ws = await connectRecorder(app.url);
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'big-buffers', params: { n: 1024 }, memoryCapMiB: 200 });
    expect(status).toBe(201);
    const end = await ws.waitFor(isRunEnd(json.id));
    expect(end.type === 'run-failed' && end.error).toBe('killed: exceeded memory cap 200 MiB at phase allocate');
    expect(end.run).toMatchObject({ status: 'failed', memoryCapMiB: 200, wallClockCapS: 120 });
    ws.close();
  });

  it.each([
    [{ experiment: 'seed-strings', memoryCapMiB: 10 }, /^memoryCapMiB: must be between 64 and \d+ MiB/],
    [{ experiment: 'seed-strings', memoryCapMiB: 1e9 }, /^memoryCapMiB: must be between 64 and \d+ MiB/],
    [{ experiment: 'seed-strings', memoryCapMiB: 'lots' }, /^memoryCapMiB: /],
  ])('refuses memory cap %j', async (body, message) => {
    const { status, json } = await postJson(`${app.url}/api/runs`, body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
  });
});

// gdb under a time limit, against a real victim: a call that hangs is interrupted and unwound and
// the victim runs on (a later trim in it works: nothing stayed wedged); a gdb that never attaches
// is killed; no gdb at all turns gdb probes off with the reason.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { parseTrimAnswer, TRIM_COMMANDS } from '../server/watch/gdb-commands.js';
import { gdbAvailability, runGdb } from '../server/watch/gdb-probe.js';
import { readProcStat, readProcStatus } from '../server/watch/process-identity.js';
import { ProbeAnswer, ProcessListAnswer } from '../shared/protocol/http.js';
import { MiB } from '../shared/units.js';
import { postJson, startTestServer } from './helpers.js';
import { fixture, killVictims, rssOf, spawnVictim } from './victims.js';

let app: RunningApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  killVictims();
});

async function watchVictim(options: Parameters<typeof startTestServer>[0], n = '50000') {
  app = await startTestServer(options);
  const victim = await spawnVictim('python3', [fixture('victim-medium-bytes.py'), n]);
  const created = await postJson(`${app.url}/api/watches`, { pid: victim.pid, probes: true, sampleHz: 100 });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return { victim, trim: () => postJson(`${app!.url}/api/watches/${created.json.id}/probe`, { kind: 'trim' }) };
}

const runsFreely = (pid: number) => ({ state: readProcStat(pid)?.state, tracer: readProcStatus(pid)?.tracerPid });

describe('the probe time limit', () => {
  // .ci/run installs gdb on a fresh machine; without it only the last test can run.
  const hasGdb = gdbAvailability().allowed;

  it.skipIf(!hasGdb)('a call that hangs is interrupted at the limit, and the target is alive and unharmed', async () => {
    // The limit leaves gdb time to attach (0.1-0.2 s here, seconds on a loaded machine): the hang is in the call.
    const { victim, trim } = await watchVictim({ probeTimeoutMs: 4000, probeInterruptGraceMs: 3000, gdbPath: fixture('gdb-call-hangs.sh') });
    const started = performance.now();
    const answer = await trim();
    expect(answer.status).toBe(200);
    const probe = ProbeAnswer.parse(answer.json);
    expect(probe).toMatchObject({ status: 'aborted', targetAtRisk: true, error: expect.stringMatching(/^trim: the call did not return within 4000 ms: gdb was interrupted, unwound the call and detached/) });
    expect(performance.now() - started).toBeLessThan(4000 + 3000 + 4000); // limit + grace + the 1 s re-read, on a busy machine
    expect(runsFreely(victim.pid)).toEqual({ state: 'S', tracer: 0 });
    // Unharmed: no lock left held, so a real trim in it still works.
    const rss = rssOf(victim.pid);
    const again = await runGdb(victim, TRIM_COMMANDS, { timeoutMs: 10_000 });
    expect([again.status, parseTrimAnswer(again.stdout)]).toEqual(['done', 'malloc_trim(0) returned 1: memory was released']);
    expect(rssOf(victim.pid)).toBeLessThan(rss - 30 * MiB);
  });

  it('a gdb that never attaches is killed at the limit, before it touched the target', async () => {
    const { victim, trim } = await watchVictim({ probeTimeoutMs: 800, gdbPath: fixture('gdb-never-attaches.sh') }, '1000');
    const probe = ProbeAnswer.parse((await trim()).json);
    expect(probe).toMatchObject({ status: 'aborted', error: 'trim: gdb did not attach within 800 ms: killed before it touched the process' });
    expect(probe.targetAtRisk).toBeUndefined();
    expect(runsFreely(victim.pid)).toEqual({ state: 'S', tracer: 0 });
  });

  it('without gdb, gdb probes are off with the reason', async () => {
    const { trim } = await watchVictim({ gdbPath: '/nonexistent/gdb' }, '1000');
    const list = ProcessListAnswer.parse(await (await fetch(`${app!.url}/api/processes`)).json());
    expect(list.gdbProbes).toEqual({ allowed: false, reason: expect.stringMatching(/^gdb is not installed \(\/nonexistent\/gdb: .*\): apt-get install gdb$/) });
    const answer = await trim();
    expect(answer.status).toBe(503);
    expect(answer.json.error).toMatch(/^trim: gdb is not installed/);
  });
});

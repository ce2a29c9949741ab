// Victim processes for the watch tests: started through `sh -c 'setsid … &'`, so that they are not
// children of the test process — memtide refuses to watch its own descendants, and a real target
// is someone else's process. Every victim is killed by killVictims() (call it in afterEach).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcStat } from '../server/watch/process-identity.js';

export interface Victim {
  pid: number;
  starttime: number;
  log: string;
  /** Its output so far. */
  output(): string;
}

const alive: Victim[] = [];
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

/** Starts `command args…` detached and waits until it prints "ready". */
export async function spawnVictim(command: string, args: readonly string[], env: Record<string, string> = {}, readyMs = 20_000): Promise<Victim> {
  const dir = mkdtempSync(join(process.env.MEMTIDE_TEST_DATA_ROOT ?? tmpdir(), 'victim-'));
  const log = join(dir, 'output.log');
  const line = `setsid ${[command, ...args].map(quote).join(' ')} >${quote(log)} 2>&1 </dev/null & echo $!`;
  const sh = spawnSync('sh', ['-c', line], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const pid = Number(sh.stdout.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`could not start ${command}: ${sh.stderr}`);
  const output = () => {
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  };
  const victim: Victim = { pid, starttime: readProcStat(pid)?.starttime ?? -1, log, output };
  alive.push(victim);
  const until = Date.now() + readyMs;
  while (!/^ready/m.test(output())) {
    if (Date.now() > until || !readProcStat(pid) || readProcStat(pid)?.state === 'Z') throw new Error(`victim ${command} did not get ready: ${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return victim;
}

/** SIGKILL, only if the pid is still the victim (never a reused pid). */
export function killVictim(victim: Victim): void {
  const stat = readProcStat(victim.pid);
  if (stat && stat.starttime === victim.starttime) {
    try {
      process.kill(victim.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export function killVictims(): void {
  for (const victim of alive.splice(0)) killVictim(victim);
}

/** Resolves once the victim has exited (or is a zombie waiting for init). */
export async function victimGone(victim: Victim, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const stat = readProcStat(victim.pid);
    if (!stat || stat.starttime !== victim.starttime || stat.state === 'Z') return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const rssOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;

// The process picker: the processes this server's user may inspect (its own; every user's as
// root), with RSS, runtime and allocator, biggest first. Kernel threads are left out (no user
// memory); PID 1, memtide and what it started are listed with the reason they may not be watched.
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { ProcessEntry } from '../../shared/watch-record.js';
import { pageSize } from '../sampling/proc-statm.js';
import { detectProcess, type Detected } from './detect-runtime.js';
import { currentAsker, descendsFrom, parseProcStat, parseProcStatus, PF_KTHREAD, uidRefusal, type Asker, type ProcStat } from './process-identity.js';

let users: Map<number, string> | undefined;

/** uid → name from /etc/passwd (read once; NSS users elsewhere stay numbers). */
export function userName(uid: number): string | undefined {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id) users.set(Number(id), name);
      }
    } catch {
      // no passwd file: numbers only
    }
  }
  return users.get(uid);
}

/** Detection per (pid, start time): a process does not change runtime; its allocator is checked again before a trim. */
const detected = new Map<string, (Detected & { exe: string }) | undefined>();

export function describeScope(asker: Asker = currentAsker()): string {
  return asker.uid === 0
    ? "memtide runs as root: every user's processes are listed and may be watched"
    : `the processes of uid ${asker.uid}${userName(asker.uid) ? ` (${userName(asker.uid)})` : ''}: only root may watch another user's`;
}

export async function listProcesses(asker: Asker = currentAsker()): Promise<ProcessEntry[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = new Map<number, ProcStat>();
  await Promise.all(pids.map(async (pid) => {
    const text = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined);
    if (text) stats.set(pid, parseProcStat(text));
  }));
  const parentOf = (pid: number) => stats.get(pid)?.ppid;
  const seen = new Set<string>();
  const entries = await Promise.all([...stats.values()].map(async (stat): Promise<ProcessEntry | undefined> => {
    if (stat.flags & PF_KTHREAD || stat.state === 'Z' || stat.state === 'X') return undefined;
    const [status, cmdline, statm] = await Promise.all(['status', 'cmdline', 'statm'].map((f) => readFile(`/proc/${stat.pid}/${f}`, 'latin1').catch(() => undefined)));
    if (!status || statm === undefined) return undefined;
    const { uids, ...rest } = parseProcStatus(status);
    if (uidRefusal(stat.pid, { uids, ...rest }, asker)) return undefined; // not ours to inspect: not listed at all
    const key = `${stat.pid}:${stat.starttime}`;
    seen.add(key);
    if (!detected.has(key)) detected.set(key, await detectProcess(stat.pid));
    const found = detected.get(key);
    const refusal = stat.pid === 1 ? 'PID 1 (init)'
      : stat.pid === asker.pid ? 'memtide itself'
      : descendsFrom(stat.pid, asker.pid, parentOf) ? 'started by memtide (a worker or a probe)'
      : undefined;
    const uid = uids[0] ?? 0;
    const name = userName(uid);
    return {
      pid: stat.pid,
      ppid: stat.ppid,
      uid,
      ...(name && { user: name }),
      comm: stat.comm,
      command: (cmdline ?? '').split('\0').filter(Boolean).join(' ') || `[${stat.comm}]`,
      ...(found && { exe: found.exe }),
      rss: Number(statm.split(' ')[1]) * pageSize(),
      runtime: found?.runtime ?? 'other',
      ...(found?.runtimeVersion && { runtimeVersion: found.runtimeVersion }),
      allocator: found?.allocator ?? 'unknown',
      ...(refusal && { refusal }),
    };
  }));
  for (const key of detected.keys()) if (!seen.has(key)) detected.delete(key);
  return entries.filter((e): e is ProcessEntry => e !== undefined).sort((a, b) => b.rss - a.rss || a.pid - b.pid);
}

// Who a pid is, and whether memtide may watch or probe it. A pid is only an identity together with
// its start time (field 22 of /proc/PID/stat), so a pid reused by a new process is never mistaken
// for the one that was watched; it is checked again right before every signal and every gdb attach.
// Sources: proc(5) for /proc/PID/stat and status; ptrace(2) "Ptrace access mode checking".
import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T (stopped), t (traced), Z (zombie), X, I… */
  state: string;
  ppid: number;
  /** PF_* flags: PF_KTHREAD (0x00200000) marks a kernel thread. */
  flags: number;
  /** Clock ticks after boot. */
  starttime: number;
}

/** /proc/PID/stat: comm is in parentheses and may itself hold spaces and ')', so split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('unexpected /proc/PID/stat text');
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  return { pid: Number(text.slice(0, open)), comm: text.slice(open + 1, close), state: f[0]!, ppid: Number(f[1]), flags: Number(f[6]), starttime: Number(f[19]) };
}

export interface ProcStatus {
  /** Real, effective, saved and filesystem uids. */
  uids: number[];
  tgid: number;
  tracerPid: number;
}

export function parseProcStatus(text: string): ProcStatus {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  return { uids: field('Uid').split(/\s+/).map(Number), tgid: Number(field('Tgid')), tracerPid: Number(field('TracerPid')) };
}

export const PF_KTHREAD = 0x00200000;

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

export function readProcStatus(pid: number): ProcStatus | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch {
    return undefined;
  }
}

export interface Identity {
  pid: number;
  starttime: number;
}

/** The process now at pid is the one identified, and has not exited (a zombie has). */
export function stillSameProcess(identity: Identity): boolean {
  const stat = readProcStat(identity.pid);
  return stat !== undefined && stat.starttime === identity.starttime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Who is asking: memtide's own process and user. */
export interface Asker {
  pid: number;
  uid: number;
}

export const currentAsker = (): Asker => ({ pid: process.pid, uid: process.getuid?.() ?? -1 });

export interface Refusal {
  status: 400 | 403 | 404;
  reason: string;
}

/** Whether `pid` descends from `ancestor`, following parents in `parentOf` (pid → ppid). */
export function descendsFrom(pid: number, ancestor: number, parentOf: (pid: number) => number | undefined): boolean {
  for (let p = parentOf(pid), hops = 0; p !== undefined && p > 1 && hops < 4096; p = parentOf(p), hops++) {
    if (p === ancestor) return true;
  }
  return false;
}

/**
 * Why `pid` may not be watched, or undefined. Never PID 1, memtide itself or anything it started
 * (its workers, gdb), a kernel thread, a zombie, or — unless memtide runs as root — another user's
 * process: reading its smaps needs the same ptrace access gdb would, and that is the user's own.
 */
export function watchRefusal(pid: number, asker: Asker = currentAsker(), parentOf = (p: number) => readProcStat(p)?.ppid): Refusal | undefined {
  const stat = readProcStat(pid);
  if (!stat) return { status: 404, reason: `pid: no process ${pid}` };
  if (pid === 1) return { status: 403, reason: 'pid: 1 is the init process: memtide never watches it' };
  if (pid === asker.pid) return { status: 403, reason: `pid: ${pid} is memtide itself` };
  if (descendsFrom(pid, asker.pid, parentOf)) return { status: 403, reason: `pid: ${pid} was started by memtide (a worker or a probe): memtide never watches its own processes` };
  if (stat.flags & PF_KTHREAD) return { status: 403, reason: `pid: ${pid} is a kernel thread (${stat.comm}): it has no user memory` };
  if (stat.state === 'Z' || stat.state === 'X') return { status: 404, reason: `pid: ${pid} has exited (a zombie)` };
  const status = readProcStatus(pid);
  if (!status) return { status: 404, reason: `pid: no process ${pid}` };
  if (status.tgid !== pid) return { status: 400, reason: `pid: ${pid} is a thread of process ${status.tgid}: watch ${status.tgid}` };
  return uidRefusal(pid, status, asker);
}

export function uidRefusal(pid: number, status: ProcStatus, asker: Asker): Refusal | undefined {
  if (asker.uid === 0) return undefined;
  // Real, effective and saved uid all ours: the kernel's own rule for ptrace access (no setuid mix).
  if (status.uids.slice(0, 3).every((u) => u === asker.uid)) return undefined;
  const [real, effective, saved] = status.uids;
  if (real === asker.uid) return { status: 403, reason: `pid: ${pid} runs with uids ${real}/${effective}/${saved} (it changed user): only root may watch it` };
  return { status: 403, reason: `pid: ${pid} belongs to uid ${real}, and memtide runs as uid ${asker.uid}: only root may watch another user's process` };
}

/**
 * Why a probe (gdb, or the inspector's SIGUSR1) may not touch the process now, or undefined: it
 * must still be the process the watch started on, not stopped (a job-control stop someone else
 * wants kept) and not already traced (gdb, strace, a debugger is attached).
 */
export function probeRefusal(identity: Identity): string | undefined {
  const stat = readProcStat(identity.pid);
  if (!stat || stat.starttime !== identity.starttime || stat.state === 'Z' || stat.state === 'X') return `pid ${identity.pid} has exited`;
  if (stat.state === 'T' || stat.state === 't') return `pid ${identity.pid} is stopped (state ${stat.state}): memtide will not resume it or probe it`;
  const status = readProcStatus(identity.pid);
  if (status && status.tracerPid !== 0) return `pid ${identity.pid} is already traced by pid ${status.tracerPid} (a debugger or strace)`;
  return undefined;
}

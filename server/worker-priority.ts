// Experiment workers run at a lower CPU priority than the things that watch them: the server's
// main thread (it forwards every batch of samples), the dashboard's browser, the CLI. On an idle
// machine this changes nothing: a worker still gets a whole core. It matters when the cores are
// busy, above all while a worker starts (a Node or CPython start-up is ~50-100 ms of CPU): on 2
// cores the server's main thread then waited 30-65 ms for a CPU with samples in hand, and the
// live chart showed the start of a run that late (bench/frame-latency.ts). The experiment's
// figures are memory, not time, so yielding costs it nothing it reports.
//
// How: a worker is a session leader (spawned detached, so kill() reaches its whole group), and
// with the kernel's autogroup on (sched_autogroup_enabled, the default on desktop and server
// kernels) a session is its own scheduling group: the nice value of a single thread does not act
// between groups, the group's does (sched(7), "The autogroup feature"). So both are set: the
// group's (/proc/PID/autogroup) and the process's own (setpriority: its main thread, and threads it
// starts later). The latter is what acts where the CPU controller of a cgroup shared with the
// server overrides autogroup (sched(7): containers, systemd units with CPU accounting). Both are
// relative to the server's own values, capped at 19. Raising a nice value needs no privilege, but
// the kernel lets an unprivileged process change an autogroup's nice only once per 100 ms
// (EAGAIN, kernel/sched/autogroup.c): that write is tried again once, 110 ms later.
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value workers get unless MEMTIDE_WORKER_NICE says otherwise (0 turns this off). */
export const DEFAULT_WORKER_NICE = 10;
export const WORKER_NICE_MAX = 19;
const AUTOGROUP_RETRY_MS = 110;

/** Whether the kernel schedules each session as a group of its own (sched(7)). */
export const autogroupOn = (): boolean => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false; // a kernel without autogroup, or not Linux
  }
};

/** The nice value of a process's autogroup ("/autogroup-42 nice 0"). */
export function autogroupNice(pid: number | 'self'): number | undefined {
  try {
    const found = /nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return found ? Number(found[1]) : undefined;
  } catch {
    return undefined;
  }
}

const lower = (base: number, by: number) => Math.min(WORKER_NICE_MAX, base + by);

/** Lowers a just-started worker's priority by `nice` below the server's own. */
export function lowerWorkerPriority(pid: number, nice: number): void {
  if (nice <= 0) return;
  try {
    setPriority(pid, lower(getPriority(), nice));
  } catch {
    // Gone already, or no such call here: the run goes on at the default priority.
  }
  if (!autogroupOn()) return;
  const value = String(lower(autogroupNice('self') ?? 0, nice));
  const write = () => writeFileSync(`/proc/${pid}/autogroup`, value);
  try {
    write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return; // gone, or not allowed
    setTimeout(() => {
      try {
        write();
      } catch {
        // Rate-limited again, or the worker is gone: its own nice still applies.
      }
    }, AUTOGROUP_RETRY_MS).unref();
  }
}

/**
 * Lowers the calling thread alone (Linux: setpriority on a thread id acts on that thread only; its
 * id from /proc/thread-self, "PID/task/TID"). For work an experiment waits on but nobody watches:
 * the breakdown thread's smaps walk of a worker at a phase end (tens of ms of kernel time) then
 * yields to the server's own threads (the streaming): it shares the server's autogroup, and inside a
 * group a thread's nice is what acts. Against other sessions (the browser) the group's weight
 * decides, as for any of the server's threads. Returns the thread's nice value, or
 * undefined where it could not be set.
 */
export function lowerThisThread(nice: number): number | undefined {
  if (nice <= 0) return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const value = lower(getPriority(tid), nice);
    setPriority(tid, value);
    return value;
  } catch {
    return undefined; // not Linux, or no /proc: the read runs at the server's priority
  }
}

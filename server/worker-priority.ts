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
// between groups, the group's does (sched(7), "The autogroup feature"). So the group's nice is set,
// /proc/PID/autogroup; without autogroup, the worker's own nice (setpriority), which its threads
// started later inherit. Raising a nice value needs no privilege.
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value workers get unless MEMTIDE_WORKER_NICE says otherwise (0 turns this off). */
export const DEFAULT_WORKER_NICE = 10;
export const WORKER_NICE_MAX = 19;

const autogroupOn = (): boolean => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
};

/** Lowers a just-started worker's priority to `nice`; says how, or undefined when it could not. */
export function lowerWorkerPriority(pid: number, nice: number): 'autogroup' | 'process' | undefined {
  if (nice <= 0) return undefined;
  try {
    if (autogroupOn()) {
      writeFileSync(`/proc/${pid}/autogroup`, String(nice));
      return 'autogroup';
    }
    setPriority(pid, nice);
    return 'process';
  } catch {
    // Gone already, or a platform without either: the run goes on at the default priority.
    return undefined;
  }
}

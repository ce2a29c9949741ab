// Runs a few commands inside another process through gdb, under a time limit that never crashes
// it. Measured here: killing gdb (SIGKILL, or SIGTERM as `timeout` sends) while an inferior call
// runs leaves the target returning into gdb's vanished dummy frame → segfault, or CPython
// deadlocked. So the limit works in phases, told apart by markers gdb prints:
//   START printed, ATTACHED not yet → gdb is starting or attaching: SIGKILL is safe (the kernel
//     detaches and the target runs on);
//   ATTACHED printed → a call may be running: SIGINT, which with `set unwindonsignal on` makes gdb
//     pop the call's frame and detach; SIGKILL only if gdb is still there GRACE later (at risk).
// Afterwards a target left stopped (T) with no tracer is sent SIGCONT, unless it was stopped before.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbePermission } from '../../shared/watch-record.js';
import { readProcStat, readProcStatus, type Identity } from './process-identity.js';

export interface GdbOptions {
  /** The whole probe's limit (ms), WATCH_LIMITS.probeTimeoutMs by default. */
  timeoutMs: number;
  /** How long gdb gets to unwind and detach after SIGINT before it is killed. */
  interruptGraceMs?: number;
  gdbPath?: string;
}

export type GdbOutcome = {
  /** done: gdb ran every command and detached; failed: gdb said no (ptrace refused, no symbol…). */
  status: 'done' | 'failed' | 'aborted';
  stdout: string;
  /** gdb's complaints, without its routine notices. */
  errors: string;
  /** From just before attach to detach (ms): how long the target was stopped, at most. */
  pausedMs?: number;
  /** aborted while a call ran inside the target (see ProbeResult.targetAtRisk). */
  targetAtRisk: boolean;
  /** What was done to recover (SIGCONT), or why it aborted. */
  note?: string;
};

export const DEFAULT_INTERRUPT_GRACE_MS = 5000;
const OUTPUT_MAX = 64 * 1024;

/** Settings that keep gdb quick and predictable: no debug info downloads or loads, no prompts. */
const GDB_SETTINGS = ['set debuginfod enabled off', 'set auto-load off', 'set pagination off', 'set confirm off', 'set width 0', 'set debug-file-directory /nonexistent', 'set unwindonsignal on'];

let availability: { path: string; permission: ProbePermission; major?: number } | undefined;

/** Whether gdb can be run, and its major version (asked once per path). */
export function gdbAvailability(gdbPath = 'gdb'): ProbePermission & { major?: number } {
  if (availability?.path !== gdbPath) {
    const result = spawnSync(gdbPath, ['--version'], { encoding: 'utf8', timeout: 5000 });
    const major = Number(/(\d+)\.\d+[^\n]*$/m.exec(result.stdout?.split('\n')[0] ?? '')?.[1]);
    availability = result.status === 0
      ? { path: gdbPath, permission: { allowed: true }, major: Number.isFinite(major) ? major : undefined }
      : { path: gdbPath, permission: { allowed: false, reason: `gdb is not installed (${gdbPath}: ${result.error?.message ?? `exit ${result.status}`}): apt-get install gdb` } };
  }
  return { ...availability.permission, ...(availability.major !== undefined && { major: availability.major }) };
}

/** gdb's lines that are routine, not errors. */
const ROUTINE = /libthread_db|^\[Thread debugging|^\[Inferior \d+ .* detached\]|^warning: (Could not load shared library symbols|Unable to find libthread_db|Target and debugger are in different PID namespaces)|^0x[0-9a-f]+ in /;

/** Runs `commands` in pid's process (the identity is checked by the caller just before). */
export function runGdb(target: Identity, commands: readonly string[], options: GdbOptions): Promise<GdbOutcome> {
  const gdbPath = options.gdbPath ?? 'gdb';
  const major = gdbAvailability(gdbPath).major;
  const dir = mkdtempSync(join(tmpdir(), 'memtide-gdb-'));
  const script = join(dir, 'probe.gdb');
  writeFileSync(script, ['echo ATTACHED\\n', ...commands, 'echo DONE\\n', 'detach', ''].join('\n'), { mode: 0o600 });
  const settings = [...GDB_SETTINGS];
  // gdb ≥ 14 can interrupt a call itself: the limit then holds even if memtide dies mid-probe.
  if (major !== undefined && major >= 14) settings.push(`set direct-call-timeout ${Math.ceil(options.timeoutMs / 1000)}`);
  const args = ['-p', String(target.pid), '-batch', '-nx', '-q', '-iex', 'echo START\\n', ...settings.flatMap((s) => ['-iex', s]), '-x', script];
  const stoppedBefore = ['T', 't'].includes(readProcStat(target.pid)?.state ?? '');

  return new Promise((resolve) => {
    // Its own process group: a Ctrl+C in memtide's terminal must not reach gdb mid-call.
    const gdb = spawn(gdbPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let phase: 'starting' | 'attached' | 'done' = 'starting';
    let startAt: number | undefined;
    let detachAt: number | undefined;
    let aborted: string | undefined;
    let atRisk = false;
    gdb.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < OUTPUT_MAX) stdout += chunk.toString('utf8');
      if (startAt === undefined && stdout.includes('START')) startAt = performance.now();
      if (phase === 'starting' && stdout.includes('ATTACHED')) phase = 'attached';
      if (/^DONE$/m.test(stdout)) phase = 'done';
      if (detachAt === undefined && /\] detached\]|^\[Inferior \d+ \(process \d+\) detached\]/m.test(stdout)) detachAt = performance.now();
    });
    gdb.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < OUTPUT_MAX) stderr += chunk.toString('utf8');
    });
    const grace = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    let graceTimer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      if (phase === 'starting') {
        aborted = `gdb did not attach within ${options.timeoutMs} ms: killed before it touched the process`;
        gdb.kill('SIGKILL');
        return;
      }
      aborted = `the call did not return within ${options.timeoutMs} ms: gdb was interrupted, unwound the call and detached`;
      gdb.kill('SIGINT');
      graceTimer = setTimeout(() => {
        atRisk = true;
        aborted = `the call did not return within ${options.timeoutMs} ms and gdb did not detach ${grace} ms after SIGINT: killed; the process may crash or hang`;
        gdb.kill('SIGKILL');
      }, grace);
    }, options.timeoutMs);
    let finished = false;
    const finish = (code: number | null, spawnError?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(limit);
      clearTimeout(graceTimer);
      rmSync(dir, { recursive: true, force: true });
      const end = performance.now();
      const notes: string[] = [];
      if (aborted) notes.push(aborted);
      // A call interrupted mid-way may leave a lock it took (malloc's, the GIL) held.
      if (aborted && phase === 'attached') atRisk = true;
      if (!stoppedBefore && resumeIfLeftStopped(target)) notes.push('the process was left stopped: sent SIGCONT');
      const errors = spawnError ? spawnError.message : stderr.split('\n').map((l) => l.trim()).filter((l) => l && !ROUTINE.test(l)).join('; ');
      const status = aborted ? 'aborted' : phase === 'done' && code === 0 ? 'done' : 'failed';
      resolve({
        status,
        stdout,
        errors: errors || (status === 'failed' ? `gdb exited with ${code}` : ''),
        ...(startAt !== undefined && phase !== 'starting' && { pausedMs: (detachAt ?? end) - startAt }),
        targetAtRisk: atRisk,
        ...(notes.length > 0 && { note: notes.join('; ') }),
      });
    };
    gdb.once('error', (error) => finish(null, error));
    gdb.once('close', (code) => finish(code));
  });
}

/** SIGCONT for a process gdb left in a stop (T) with no tracer; true if one was sent. */
function resumeIfLeftStopped(target: Identity): boolean {
  const stat = readProcStat(target.pid);
  if (!stat || stat.starttime !== target.starttime || (stat.state !== 'T' && stat.state !== 't')) return false;
  if ((readProcStatus(target.pid)?.tracerPid ?? 0) !== 0) return false; // someone else's debugger holds it
  try {
    process.kill(target.pid, 'SIGCONT');
    return true;
  } catch {
    return false;
  }
}

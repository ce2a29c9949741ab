// What the watch view says about probes, as pure functions (a Node test drives them): the label a
// probe gets on the chart, and why a probe button is off. The server checks again before it runs
// anything (server/watch/probe-runner.ts) and its refusal is shown as it words it; these only keep
// the user from asking for what cannot run, and say why beside the button.
import type { RunInfo } from '../../../shared/run-record.js';
import { formatSignedMiB } from '../../../shared/format.js';
import type { ProbeKind, ProbeResult } from '../../../shared/watch-record.js';

export const PROBE_NAMES: Record<ProbeKind, string> = { gc: 'GC', trim: 'trim' };

/** "trim −201.0 MiB · paused 291 ms": what the probe returned (RSS 1 s after against just before) and how long the target was stopped. */
export function probeLabel(p: ProbeResult): string {
  const name = PROBE_NAMES[p.kind];
  if (p.status === 'running') return `${name} running…`;
  const paused = p.pausedMs === undefined ? '' : ` · paused ${Math.round(p.pausedMs)} ms`;
  if (p.status !== 'done') return `${name} ${p.status}${p.targetAtRisk ? ' · target at risk' : ''}${paused}`;
  return `${name} ${p.returned === undefined ? 'done' : formatSignedMiB(-p.returned)}${paused}`;
}

/** Why `kind` cannot be asked for now in this watch, or undefined when it can. */
export function probeBlock(info: RunInfo, probes: readonly ProbeResult[], kind: ProbeKind, asking: boolean): string | undefined {
  const watch = info.watch;
  if (!watch || info.status !== 'running') return 'the watch has ended';
  if (asking || probes.some((p) => p.status === 'running')) return 'a probe is running: wait for it to end';
  const { target, gdbProbes } = watch;
  const gdbOff = gdbProbes.allowed ? undefined : gdbProbes.reason ?? 'gdb probes are off';
  if (kind === 'gc') {
    if (target.runtime === 'other') return `pid ${target.pid} (${target.comm}) is neither Node nor CPython: memtide knows no garbage collector to ask`;
    // Node's GC goes through its inspector, not gdb: the server says if the inspector is off.
    if (target.runtime === 'python' && gdbOff) return `CPython's GC runs through gdb, and ${gdbOff}`;
    return undefined;
  }
  if (gdbOff) return `malloc_trim is called through gdb, and ${gdbOff}`;
  if (target.allocator === 'musl') return `pid ${target.pid} uses musl's malloc, which has no malloc_trim`;
  if (target.allocator === 'unknown') return `pid ${target.pid} has no glibc mapped: its allocator is unknown, so memtide will not call malloc_trim in it`;
  if (target.allocator !== 'glibc') return `pid ${target.pid} allocates with ${target.allocator}, not glibc's malloc: malloc_trim(0) would not return its memory`;
  return undefined;
}

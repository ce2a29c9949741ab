// The probe buttons' reasons and the chart's probe labels, in Node: each reason for a button to be
// off (ended, one running, no gdb, not glibc, not Node or CPython), and what a probe's band says.
import { describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../shared/run-record.js';
import { MiB } from '../../../shared/units.js';
import type { ProbePermission, ProbeResult, WatchTarget } from '../../../shared/watch-record.js';
import { probeBlock, probeLabel } from './probe-rules.js';

const target: WatchTarget = { pid: 4242, ppid: 1, uid: 1000, comm: 'python3', command: 'python3 app.py', runtime: 'python', allocator: 'glibc', starttime: 9 };
const watchOf = (t: Partial<WatchTarget> = {}, gdb: ProbePermission = { allowed: true }, status: RunInfo['status'] = 'running'): RunInfo => ({
  id: 'watch-1', kind: 'watch', experiment: 'watch', runtime: t.runtime ?? 'python', params: { pid: 4242 }, status, createdAt: 0,
  knobs: {}, workerEnv: {}, sampleHz: 1000, sampler: 'statm', summary: null,
  watch: { target: { ...target, ...t }, gdbProbes: gdb, durationS: 600 },
});
const running: ProbeResult = { id: 1, kind: 'gc', method: 'gdb', status: 'running', start: 10, before: { t: 9, rss: 100 * MiB } };

describe('probe buttons', () => {
  it('both are on for a live CPython/glibc watch with gdb probes allowed', () => {
    expect([probeBlock(watchOf(), [], 'gc', false), probeBlock(watchOf(), [], 'trim', false)]).toEqual([undefined, undefined]);
  });

  it('are off while a probe runs (the server\'s or the one this page asked for) and once the watch ended', () => {
    expect(probeBlock(watchOf(), [running], 'trim', false)).toBe('a probe is running: wait for it to end');
    expect(probeBlock(watchOf(), [], 'gc', true)).toBe('a probe is running: wait for it to end');
    expect(probeBlock(watchOf({}, { allowed: true }, 'finished'), [], 'gc', false)).toBe('the watch has ended');
  });

  it('say why gdb probes cannot run, and spare Node\'s GC, which goes through the inspector', () => {
    const off = { allowed: false, reason: 'this watch was started with gdb probes off ("Allow gdb probes" in the dashboard, probes: true in the API, --gc or --trim on the command line): gdb stops the process while it is attached' };
    expect(probeBlock(watchOf({}, off), [], 'trim', false)).toBe(`malloc_trim is called through gdb, and ${off.reason}`);
    expect(probeBlock(watchOf({}, off), [], 'gc', false)).toBe(`CPython's GC runs through gdb, and ${off.reason}`);
    expect(probeBlock(watchOf({ runtime: 'node' }, off), [], 'gc', false)).toBeUndefined();
  });

  it('trim only under glibc; GC only in Node or CPython', () => {
    expect(probeBlock(watchOf({ allocator: 'jemalloc' }), [], 'trim', false)).toBe("pid 4242 allocates with jemalloc, not glibc's malloc: malloc_trim(0) would not return its memory");
    expect(probeBlock(watchOf({ allocator: 'musl' }), [], 'trim', false)).toBe("pid 4242 uses musl's malloc, which has no malloc_trim");
    expect(probeBlock(watchOf({ runtime: 'other', comm: 'redis-server' }), [], 'gc', false)).toBe('pid 4242 (redis-server) is neither Node nor CPython: memtide knows no garbage collector to ask');
  });
});

describe('probe labels on the chart', () => {
  it('say what came back and how long the target was stopped, or how the probe went wrong', () => {
    const done: ProbeResult = { ...running, kind: 'trim', status: 'done', end: 300, returned: 201.4 * MiB, pausedMs: 290.6 };
    expect(probeLabel(done)).toBe('trim −201.4 MiB · paused 291 ms');
    expect(probeLabel({ ...done, returned: -3 * MiB })).toBe('trim +3.0 MiB · paused 291 ms'); // RSS grew meanwhile
    expect(probeLabel(running)).toBe('GC running…');
    expect(probeLabel({ ...running, status: 'aborted', targetAtRisk: true, pausedMs: 10_000 })).toBe('GC aborted · target at risk · paused 10000 ms');
    expect(probeLabel({ ...done, returned: undefined })).toBe('trim done · paused 291 ms'); // the process left before the re-read
  });
});

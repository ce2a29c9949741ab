// The watch's contract: records stored before watches existed still validate as runs; a watch
// keeps everything it recorded through a store round trip; the verdict says what probes showed.
import { describe, expect, it } from 'vitest';
import { probeNotice } from './probe-notice.js';
import { matchesProcess } from './process-filter.js';
import { RunInfo, RunRecord, recordKind } from './run-record.js';
import { MiB } from './units.js';
import type { ProbeResult, ProcessEntry } from './watch-record.js';
import { watchVerdict } from './watch-verdict.js';

const oldRun = {
  id: 'lx1-abc123', experiment: 'seed-strings', runtime: 'node', params: { n: 10 }, status: 'finished', createdAt: 1, sampleHz: 1000,
  sampler: 'proc-statm-thread', summary: null, phases: [], samples: [{ t: 1, rss: 100 }], heap: [],
};

const probe = (kind: 'gc' | 'trim', start: number, beforeRss: number, afterRss: number, extra: Partial<ProbeResult> = {}): ProbeResult => ({
  id: 1, kind, method: 'gdb', status: 'done', start, end: start + 200,
  before: { t: start, rss: beforeRss, breakdown: { t: start, rss: beforeRss, pss: 0, anonymous: 0, privateDirty: 0, swap: 0, brkHeap: beforeRss - 14 * MiB, arenaHeaps: 0, anonMappings: 0, fileMappings: 0, stacks: 0, otherMappings: 0, mappings: 90, readMs: 1 } },
  after: { t: start + 1200, rss: afterRss }, returned: beforeRss - afterRss, ...extra,
});

describe('records', () => {
  it('a record stored before watches still validates, as a run', () => {
    const parsed = RunRecord.parse(oldRun);
    expect(recordKind(parsed)).toBe('run');
    expect(parsed.watchTimeline).toBeUndefined();
  });

  it('a watch keeps its target, markers and probes through JSON', () => {
    const watch = {
      ...oldRun, id: 'watch-lx1-abc123', kind: 'watch', experiment: 'watch', runtime: 'other', params: { pid: 77 },
      watch: { target: { pid: 77, ppid: 1, uid: 0, comm: 'redis', command: 'redis-server', runtime: 'other', allocator: 'jemalloc', starttime: 5 }, gdbProbes: { allowed: false, reason: 'no' }, durationS: 600 },
      watchTimeline: { markers: [{ t: 2, label: 'deploy' }], probes: [probe('trim', 3, 200 * MiB, 20 * MiB)], breakdowns: [], cgroup: [{ t: 2, version: 2, usage: 10, anon: 5, file: 5 }], smapsRates: [{ t: 2, intervalMs: 500, readMs: 1.2 }] },
    };
    const parsed = RunRecord.parse(JSON.parse(JSON.stringify(watch)));
    expect(recordKind(parsed)).toBe('watch');
    expect(parsed.watchTimeline).toEqual(watch.watchTimeline);
    expect(RunInfo.parse(parsed).watch?.target.allocator).toBe('jemalloc');
  });
});

describe('the verdict of a watch', () => {
  const samples = (from: number, rss: (ms: number) => number) => Array.from({ length: 60 }, (_, i) => ({ t: from + i * 100, rss: rss(i * 100) }));

  it('no verdict before a probe', () => {
    expect(watchVerdict([], [])).toBeUndefined();
  });

  it('trim returning most of RSS: the allocator was holding it, and it stayed down', () => {
    const trim = probe('trim', 1000, 215 * MiB, 14 * MiB);
    const v = watchVerdict([probe('gc', 0, 215 * MiB, 215 * MiB), trim], samples(2200, () => 14 * MiB))!;
    expect(v.verdict).toBe('retained by allocator');
    expect(v.text).toBe("The allocator was holding it: malloc_trim returned 201.0 MiB (93 % of RSS), most of it in glibc's brk heap (201.0 MiB before). RSS stayed down for 5.9 s (0.0 MiB back): a periodic malloc_trim, or MALLOC_TRIM_THRESHOLD_, would keep it low. (GC returned 0.0 MiB; malloc_trim returned 201.0 MiB; 14.0 MiB stayed.)");
    expect(v).toMatchObject({ gcReturned: 0, trimReturned: 201 * MiB, stayed: 14 * MiB, refaultBytesPerS: 0 });
  });

  it('RSS climbing back after a trim says trimming periodically would not help', () => {
    const v = watchVerdict([probe('trim', 1000, 215 * MiB, 14 * MiB)], samples(2200, (ms) => 14 * MiB + ms * 40_000))!;
    expect(v.text).toMatch(/RSS climbed back 225\.1 MiB in 5\.9 s: the process reuses that memory, so trimming periodically would not help/);
    expect(v.refaultBytesPerS!).toBeCloseTo(40_000_000, -5);
  });

  it('a GC returning it: released; a GC returning little with the heap full: still referenced', () => {
    expect(watchVerdict([probe('gc', 0, 300 * MiB, 40 * MiB, { method: 'inspector' })], [])!.verdict).toBe('released');
    const live = probe('gc', 0, 300 * MiB, 295 * MiB, { method: 'inspector' });
    live.after!.heap = { heapUsed: 250 * MiB, arrayBuffers: 10 * MiB };
    expect(watchVerdict([live], [])).toMatchObject({ verdict: 'still referenced', referenced: 260 * MiB });
  });

  it('one probe returning little, heap unknown: inconclusive, and says which to run', () => {
    expect(watchVerdict([probe('gc', 0, 300 * MiB, 299 * MiB)], [])).toMatchObject({ verdict: 'inconclusive', text: expect.stringMatching(/^Only a GC ran and returned little: run trim as well/) });
  });
});

describe('the process filter', () => {
  const entry: ProcessEntry = { pid: 4242, ppid: 1, uid: 1000, user: 'ada', comm: 'python3', command: 'python3 -m http.server', rss: 1, runtime: 'python', allocator: 'glibc' };
  it('matches every word, any case, in pid, command, runtime, allocator, user', () => {
    expect(matchesProcess(entry, 'HTTP python')).toBe(true);
    expect(matchesProcess(entry, '4242 ada glibc')).toBe(true);
    expect(matchesProcess(entry, 'node')).toBe(false);
    expect(matchesProcess(entry, '')).toBe(true);
  });
});

describe('what a probe says it does, before it runs', () => {
  it('gdb probes say the process is stopped and may deadlock; the Node GC names SIGUSR1 and the inspector', () => {
    expect(probeNotice('trim', { pid: 7, runtime: 'python' }, 10_000)).toBe('trim: gdb attaches to pid 7 and calls malloc_trim(0) in it; the process is stopped while gdb is attached (~0.1-0.5 s) and could deadlock if one of its threads holds the malloc lock (limit 10 s, then gdb is interrupted and detaches)');
    expect(probeNotice('gc', { pid: 7, runtime: 'python' }, 10_000)).toMatch(/^gc: gdb attaches to pid 7 and runs gc\.collect\(\) in it; the process is stopped/);
    expect(probeNotice('gc', { pid: 8, runtime: 'node' }, 10_000)).toMatch(/^gc: opening pid 8's inspector with SIGUSR1 \(127\.0\.0\.1 only, closed again at once\)/);
  });
});

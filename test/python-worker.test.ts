// Real CPython workers under real allocator settings, sampled from outside. Bounds are set from
// runs on a 2-core machine (Python 3.11.7, glibc 2.36, jemalloc 5.3); the figures seen are in
// the comments, the bounds well inside them.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { knobEnvironment, type Knobs } from '../shared/knobs.js';
import type { RunRecord } from '../shared/run-record.js';
import type { Runtime } from '../shared/runtimes.js';
import { MiB } from '../shared/units.js';
import { machine } from '../server/machine.js';
import { pythonWorkerScript } from '../server/paths.js';
import { parseMainArena } from '../server/workers/node-allocator.js';
import { spawnWorker } from '../server/worker-process.js';
import { runToEnd as runRequest } from './helpers.js';

const found = machine();
const python = typeof found.python === 'string' ? undefined : found.python.command;
const jemalloc = typeof found.jemalloc === 'string' ? undefined : found.jemalloc.path;

async function runToEnd(experiment: string, params: Record<string, number>, knobs: Knobs = {}, runtime: Runtime = 'python', settleMs = 1000): Promise<RunRecord> {
  const { record } = await runRequest({ experiment: { id: experiment, runtime }, params, knobs, workerEnv: knobEnvironment(knobs, jemalloc), python, sampleHz: 200, settleMs });
  return record;
}

/** The worker's own figures at the end of a phase. */
const atEnd = (record: RunRecord, phase: string) => {
  const p = record.phases.find((x) => x.name === phase)!;
  return record.heap.find((h) => h.phase === phase && h.t === p.end)!;
};
const breakdownAt = (record: RunRecord, phase: string) => record.breakdowns.find((b) => b.phase === phase)!;

describe.skipIf(!python)('CPython worker', () => {
  it("py-seed (N = 10^6): the seed's table, Allocation ≥ 5 MiB, the steps summing to Overall", async () => {
    const record = await runToEnd('py-seed', { n: 1_000_000 });
    expect(record.status, record.error).toBe('finished');
    expect(record.runtimeVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'allocate', 'unreference', 'collect', 'settle']);
    const s = record.summary!;
    // Seen: 14.1 → 21.8 → 14.2 → 14.2 MiB (the list's 8 MB of pointers, freed at del).
    expect(s.allocationPct).toBeGreaterThan(0);
    expect(s.mem1 - s.mem0).toBeGreaterThanOrEqual(5 * MiB);
    expect(s.allocationPct + s.unreferencePct + s.collectPct).toBeCloseTo(s.overallPct, 9);
    expect(record.breakdowns.map((b) => b.phase)).toEqual(record.phases.map((p) => p.name));
    expect(atEnd(record, 'baseline').arenasInUse).toBeGreaterThan(0);
  });

  it('reports pymalloc\'s and glibc\'s own bytes at phase ends, progress during allocate, and idles settle for settleMs', async () => {
    const record = await runToEnd('py-seed', { n: 3_000_000 }, {}, 'python', 400);
    expect(record.status, record.error).toBe('finished');
    expect(record.settleMs).toBe(400);
    const settle = record.phases.find((p) => p.name === 'settle')!;
    expect(settle.end! - settle.start).toBeGreaterThanOrEqual(400);
    expect(settle.end! - settle.start).toBeLessThan(600);
    // The list of 3·10⁶ pointers is one mmap'd block of ~25 MiB: glibc's hblkhd, not pymalloc's blocks.
    const [base, alloc] = [atEnd(record, 'baseline'), atEnd(record, 'allocate')];
    expect(alloc.glibc!.mmapped - base.glibc!.mmapped).toBeGreaterThan(22 * MiB);
    expect(Math.abs(alloc.pymalloc!.allocated - base.pymalloc!.allocated)).toBeLessThan(0.1 * MiB);
    expect(alloc.progress).toEqual([3_000_000, 3_000_000]);
    const during = record.heap.filter((h) => h.phase === 'allocate' && h.progress && h.t !== alloc.t).map((h) => h.progress!);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every(([done, total]) => total === 3_000_000 && done < total)).toBe(true);
  });

  it('py-fragmentation: blocks fall ≥ 90 % while RSS keeps ≥ 50 % of what allocate added, in mmap\'d arenas', async () => {
    // Seen (2e5 dicts, keep every 1000th): blocks +800k → +800 after collect; RSS 14 → 64.5 → 63 MiB.
    const record = await runToEnd('py-fragmentation', { n: 200_000, keepEvery: 1_000 });
    expect(record.status, record.error).toBe('finished');
    const [b0, b1, b3] = ['baseline', 'allocate', 'collect'].map((p) => atEnd(record, p).allocatedBlocks!) as [number, number, number];
    expect(b3 - b0).toBeLessThanOrEqual(0.1 * (b1 - b0));
    const s = record.summary!;
    expect(s.mem3 - s.mem0).toBeGreaterThanOrEqual(0.5 * (s.mem1 - s.mem0));
    expect(atEnd(record, 'collect').arenasInUse).toBe(atEnd(record, 'allocate').arenasInUse);
    expect(s.mechanism).toBe('pymalloc-arenas');
    const settled = s.accounting!.find((a) => a.phase === 'settle')!;
    expect(settled.freeInRuntime).toBeGreaterThanOrEqual(0.9 * (s.mem4 - s.mem0));
    const grewAnon = breakdownAt(record, 'collect').anonMappings - breakdownAt(record, 'baseline').anonMappings;
    expect(grewAnon).toBeGreaterThanOrEqual(0.5 * (s.mem3 - s.mem0));
  });

  it('py-medium-bytes: MALLOC_TRIM_THRESHOLD_=0 keeps the brk heap; the trim phase returns it', async () => {
    // Seen (5e4 × 1000 B): 14 → 64.5 → 64.1 MiB kept either way; malloc_trim(0) → 13.8 MiB in ~3 ms.
    const kept = await runToEnd('py-medium-bytes', { n: 50_000, size: 1_000 }, { mallocTrimThreshold: 0 });
    expect(kept.status, kept.error).toBe('finished');
    expect(kept.workerEnvSeen).toEqual({ MALLOC_TRIM_THRESHOLD_: '0' });
    const k = kept.summary!;
    expect(k.mem4 - k.mem0).toBeGreaterThanOrEqual(0.8 * (k.mem1 - k.mem0));
    expect(breakdownAt(kept, 'settle').brkHeap - breakdownAt(kept, 'baseline').brkHeap).toBeGreaterThanOrEqual(0.8 * (k.mem1 - k.mem0));
    expect(k.mechanism).toBe('glibc-brk-heap');
    expect(k.remedies![0]!.knobs).toEqual({ trim: true });

    const trimmed = await runToEnd('py-medium-bytes', { n: 50_000, size: 1_000 }, { trim: true });
    expect(trimmed.status, trimmed.error).toBe('finished');
    expect(trimmed.phases.map((p) => p.name)).toEqual(['baseline', 'allocate', 'unreference', 'collect', 'trim', 'settle']);
    const t = trimmed.summary!;
    expect(t.mem3 - t.mem0).toBeGreaterThanOrEqual(0.8 * (t.mem1 - t.mem0));
    expect(t.mem3 - t.memTrim!).toBeGreaterThanOrEqual(0.8 * (t.mem1 - t.mem0));
    expect(t.overallPct + t.trimPct! + t.settlePct).toBeCloseTo(t.finalPct, 9);
    expect(t.verdict).toBe('released');
  });

  it('PYTHONMALLOC=malloc really runs without pymalloc, and makes py-fragmentation trimmable', async () => {
    // Seen (2e5 dicts): 13.8 → 73.2 → 71.7 MiB after collect, all in the brk heap; malloc_trim(0) → 14.7 MiB.
    const record = await runToEnd('py-fragmentation', { n: 200_000, keepEvery: 1_000 }, { pythonMalloc: 'malloc', trim: true });
    expect(record.status, record.error).toBe('finished');
    expect(record.workerEnvSeen).toEqual({ PYTHONMALLOC: 'malloc' });
    expect(record.objectAllocator).toBe('malloc');
    expect(atEnd(record, 'allocate').allocatedBlocks).toBeUndefined();
    expect(atEnd(record, 'allocate').arenasInUse).toBeUndefined();
    const s = record.summary!;
    expect(s.mem3 - s.memTrim!).toBeGreaterThanOrEqual(0.6 * (s.mem1 - s.mem0));
  });

  it.skipIf(!jemalloc)('jemalloc is really mapped in the worker, and decay 0 returns freed pages at once', async () => {
    // Seen (2e5 dicts, PYTHONMALLOC=malloc, dirty/muzzy decay 0): 15.8 → 67.6 → 19.7 MiB at unreference.
    const knobs: Knobs = { allocator: 'jemalloc', pythonMalloc: 'malloc', jemallocDirtyDecayMs: 0, jemallocMuzzyDecayMs: 0 };
    const record = await runToEnd('py-fragmentation', { n: 200_000, keepEvery: 1_000 }, knobs);
    expect(record.status, record.error).toBe('finished');
    expect(record.mallocLibrary).toBe('jemalloc');
    expect(record.workerEnvSeen?.LD_PRELOAD).toMatch(/libjemalloc\.so\.2$/);
    expect(record.workerEnvSeen?.MALLOC_CONF).toBe('dirty_decay_ms:0,muzzy_decay_ms:0');
    const s = record.summary!;
    expect(s.mem3 - s.mem0).toBeLessThanOrEqual(0.5 * (s.mem1 - s.mem0));
    expect(breakdownAt(record, 'allocate').brkHeap).toBe(0); // jemalloc never uses brk here
  });

  it("reads the main arena out of malloc_info()'s XML as the Node worker does (threads' arenas come after it)", () => {
    const heap = (nr: number, fast: number, rest: number, system: number) =>
      `<heap nr="${nr}">\n<sizes>\n  <size from="33" to="33" total="33" count="1"/>\n</sizes>\n<total type="fast" count="0" size="${fast}"/>\n` +
      `<total type="rest" count="98" size="${rest}"/>\n<system type="current" size="${system}"/>\n<system type="max" size="${system}"/>\n</heap>\n`;
    const xml = `<malloc version="1">\n${heap(0, 160, 806305, 2514944)}${heap(1, 0, 12_582_912, 12_713_984)}</malloc>\n`;
    const load = 'import importlib.util, json, os, sys\nsys.path.insert(0, os.path.dirname(sys.argv[1]))\n' +
      "spec = importlib.util.spec_from_file_location('worker', sys.argv[1]); worker = importlib.util.module_from_spec(spec); spec.loader.exec_module(worker)\n" +
      'print(json.dumps([worker.parse_main_arena(sys.stdin.read()), worker.parse_main_arena("<malloc/>")]))';
    const result = spawnSync(python!, ['-c', load, pythonWorkerScript], { input: xml, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const main = parseMainArena(xml)!;
    expect(main).toEqual({ inUse: 2514944 - 806465, free: 806465 });
    expect(JSON.parse(result.stdout)).toEqual([[main.inUse, main.free], null]);
  });

  it('a knob environment the worker did not see fails the run, naming both', async () => {
    // The record claims an environment that is never applied (the worker is spawned without it):
    // the worker's ready message says what it really saw, and the run must not pass as one under
    // PYTHONMALLOC=malloc.
    const { record } = await runRequest({ experiment: { id: 'py-seed', runtime: 'python' }, params: { n: 1_000 }, workerEnv: { PYTHONMALLOC: 'malloc' }, python, sampleHz: 50 }, {
      spawn: (runtime, spec, events, options) => spawnWorker(runtime, spec, events, { ...options, env: {} }),
    });
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/worker saw allocator environment \{.*\}, not \{"PYTHONMALLOC":"malloc"\}/);
  });
});

describe.skipIf(found.koffi !== true)('Node worker figures and trim phase through koffi', () => {
  it("reports V8's spaces and glibc's own bytes at phase ends, progress during allocate, and idles settle for settleMs", async () => {
    const record = await runToEnd('seed-strings', { n: 3_000_000 }, {}, 'node', 300);
    expect(record.status, record.error).toBe('finished');
    const settle = record.phases.find((p) => p.name === 'settle')!;
    expect(settle.end! - settle.start).toBeGreaterThanOrEqual(300);
    expect(settle.end! - settle.start).toBeLessThan(500);
    const [base, alloc, collect] = ['baseline', 'allocate', 'collect'].map((p) => atEnd(record, p));
    // 3·10⁶ slots × 8 bytes: one backing store of ~23 MiB in V8's large-object space, not malloc's.
    expect(alloc!.v8!.used - base!.v8!.used).toBeGreaterThan(22 * MiB);
    expect(collect!.v8!.used - base!.v8!.used).toBeLessThan(2 * MiB);
    expect(base!.glibc!.mainArenaInUse).toBeGreaterThan(0);
    expect(base!.glibc!.free).toBeGreaterThanOrEqual(base!.glibc!.mainArenaFree!);
    expect(alloc!.progress).toEqual([3_000_000, 3_000_000]);
    expect(collect!.releaseWaitMs).toBeGreaterThan(0);
  });


  it('small-buffers: malloc_trim(0) returns what glibc kept after gc', async () => {
    // Seen (1e5 × 4 KiB): 46 → 478 → 478 after collect → 66 MiB after trim (brk heap 410 → 12 MiB).
    const record = await runToEnd('small-buffers', { n: 20_000 }, { trim: true }, 'node');
    expect(record.status, record.error).toBe('finished');
    const s = record.summary!;
    expect(s.mem3 - s.memTrim!).toBeGreaterThanOrEqual(0.8 * (s.mem1 - s.mem0));
  });
});

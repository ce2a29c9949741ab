// The checks a worker is held to, message by message.
import { describe, expect, it } from 'vitest';
import type { Phase } from '../shared/run-record.js';
import { applyPhaseEdge, lastPhaseName, openPhase, parseWorkerLine, phaseEdgeError, readyError, type PhaseMessage } from './worker-protocol.js';

const ORDER = ['baseline', 'allocate', 'unreference', 'collect', 'settle'];
const edge = (phase: PhaseMessage['phase'], e: 'start' | 'end', t: number): PhaseMessage => ({ type: 'phase', phase, edge: e, t, heap: {} });

describe('parseWorkerLine', () => {
  it('takes a message of the contract', () => {
    expect(parseWorkerLine('{"type":"done","t":5}')).toEqual({ ok: true, message: { type: 'done', t: 5 } });
  });
  it('names what is wrong, quoting at most 80 characters of the line', () => {
    const junk = parseWorkerLine(`not json ${'x'.repeat(10_000)}`);
    expect(junk.ok).toBe(false);
    expect(!junk.ok && junk.error).toBe(`worker sent a line that is not JSON: "not json ${'x'.repeat(69)}…`);
    expect(parseWorkerLine('{"type":"heap","t":1,"heap":{"rss":"lots"}}')).toEqual({ ok: false, error: 'worker sent an invalid message: heap.rss: Invalid input: expected number, received string' });
  });
});

describe('phase order', () => {
  it('walks the phases in order, each ended after it started', () => {
    const phases: Phase[] = [];
    for (const [i, name] of ORDER.entries()) {
      for (const e of ['start', 'end'] as const) {
        const message = edge(name as PhaseMessage['phase'], e, i * 10 + (e === 'end' ? 5 : 0));
        expect(phaseEdgeError(phases, ORDER, message)).toBeUndefined();
        applyPhaseEdge(phases, message);
      }
    }
    expect(phases).toEqual(ORDER.map((name, i) => ({ name, start: i * 10, end: i * 10 + 5 })));
    expect(phaseEdgeError(phases, ORDER, edge('baseline', 'start', 99))).toBe('worker started phase baseline out of order (expected no more phases)');
  });

  it('refuses a skipped phase, a start before the last phase ended, and an end never started', () => {
    const phases: Phase[] = [{ name: 'baseline', start: 0, end: 5 }];
    expect(phaseEdgeError(phases, ORDER, edge('collect', 'start', 6))).toBe('worker started phase collect out of order (expected allocate)');
    expect(phaseEdgeError([{ name: 'baseline', start: 0 }], ORDER, edge('allocate', 'start', 6))).toBe('worker started phase allocate before ending baseline');
    expect(phaseEdgeError(phases, ORDER, edge('collect', 'end', 6))).toBe('worker ended phase collect that had not started');
    expect(phaseEdgeError(phases, ORDER, edge('baseline', 'end', 6))).toBe('worker ended phase baseline that had not started');
  });

  it('lastPhaseName is where a kill happened; openPhase only a phase in progress', () => {
    expect([lastPhaseName([]), openPhase([])]).toEqual(['startup', undefined]);
    expect([lastPhaseName([{ name: 'baseline', start: 0 }]), openPhase([{ name: 'baseline', start: 0 }])]).toEqual(['baseline', 'baseline']);
    expect([lastPhaseName([{ name: 'baseline', start: 0, end: 1 }]), openPhase([{ name: 'baseline', start: 0, end: 1 }])]).toEqual(['baseline', undefined]);
  });
});

describe('readyError', () => {
  const ready = (env?: Record<string, string>) => ({ type: 'ready' as const, t: 1, pid: 2, runtime: 'python' as const, version: '3.11.7', env });
  it('accepts the environment it was given, in any order, and the malloc asked for', () => {
    const record = { workerEnv: { MALLOC_ARENA_MAX: '2', PYTHONMALLOC: 'malloc' }, knobs: {}, mallocLibrary: 'glibc' as const };
    expect(readyError(record, ready({ PYTHONMALLOC: 'malloc', MALLOC_ARENA_MAX: '2' }))).toBeUndefined();
  });
  it('names both environments when they differ, and the malloc when it is not the one asked for', () => {
    expect(readyError({ workerEnv: { PYTHONMALLOC: 'malloc' }, knobs: {} }, ready({}))).toBe('worker saw allocator environment {}, not {"PYTHONMALLOC":"malloc"}');
    expect(readyError({ workerEnv: {}, knobs: { allocator: 'jemalloc' }, mallocLibrary: 'glibc' }, ready({}))).toBe('allocator jemalloc was asked for, but the worker has glibc mapped');
  });
});

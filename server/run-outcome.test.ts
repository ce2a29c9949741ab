// Every rung of the outcome ladder, with the text each ending gets.
import { describe, expect, it } from 'vitest';
import type { Summary } from '../shared/run-record.js';
import { crashLine, runOutcome, type RunEnding } from './run-outcome.js';

const summary = { verdict: 'released' } as Summary;
const clean: RunEnding = { code: 0, signal: null, stderr: '', done: true, memoryCapMiB: 256, lastPhase: 'settle', summarize: () => summary };

describe('runOutcome', () => {
  it('a clean exit after done, with a complete timeline, finishes with its summary', () => {
    expect(runOutcome(clean)).toEqual({ status: 'finished', summary });
  });

  it('cancelled wins over everything, even a failure recorded before', () => {
    expect(runOutcome({ ...clean, cancelled: 'cancelled by the user', failure: 'killed: exceeded memory cap 256 MiB at phase allocate', code: null, signal: 'SIGKILL' }))
      .toEqual({ status: 'cancelled', error: 'cancelled by the user' });
  });

  it("the server's own reason for killing the worker wins over how it died", () => {
    expect(runOutcome({ ...clean, failure: 'killed: exceeded wall-clock cap 120 s at phase baseline', code: null, signal: 'SIGKILL', done: false }))
      .toEqual({ status: 'failed', error: 'killed: exceeded wall-clock cap 120 s at phase baseline' });
  });

  it("V8's heap limit is reported as the memory cap, at the phase it was in", () => {
    const stderr = '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
    expect(runOutcome({ ...clean, stderr, code: null, signal: 'SIGABRT', done: false, lastPhase: 'allocate' }))
      .toEqual({ status: 'failed', error: 'killed: exceeded memory cap 256 MiB at phase allocate (V8 heap limit)' });
  });

  it('a crash names the signal or code and the line of stderr that says why', () => {
    const stderr = 'file:///w.js:3\n  throw new Error(\'boom\');\n\nError: boom\n    at w.js:3:9\n\nNode.js v20.20.2';
    expect(runOutcome({ ...clean, stderr, code: 1, done: false })).toEqual({ status: 'failed', error: 'worker exited with code 1 before finishing: Error: boom' });
    expect(runOutcome({ ...clean, code: null, signal: 'SIGKILL', done: false })).toEqual({ status: 'failed', error: 'worker killed by SIGKILL before finishing' });
    expect(runOutcome({ ...clean, code: 3 })).toEqual({ status: 'failed', error: 'worker exited with code 3' });
    expect(runOutcome({ ...clean, done: false })).toEqual({ status: 'failed', error: 'worker exited with code 0 before finishing' });
  });

  it('a clean exit without a complete timeline fails, and the summary is only asked for then', () => {
    let asked = 0;
    expect(runOutcome({ ...clean, summarize: () => (asked++, null) })).toEqual({
      status: 'failed', error: 'worker finished but the timeline is incomplete (missing a phase end or RSS samples)',
    });
    runOutcome({ ...clean, code: 1, summarize: () => (asked++, summary) });
    expect(asked).toBe(1);
  });
});

describe('crashLine', () => {
  it('prefers the last error line, else the last line, and skips the "Node.js vX" footer', () => {
    expect(crashLine('x\nTypeError: nope\n  at y\nNode.js v20.1.0')).toBe('TypeError: nope');
    expect(crashLine('Traceback (most recent call last):\n  File "w.py"\nMemoryError')).toBe('MemoryError');
    expect(crashLine('just this')).toBe('just this');
    expect(crashLine('')).toBeUndefined();
  });
});

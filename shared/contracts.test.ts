// Bad input is rejected with a message that names the field.
import { describe, expect, it } from 'vitest';
import { CATALOG, findExperiment, resolveParams } from './catalog/index.js';
import { CreateRunBody } from './protocol/http.js';
import { WorkerMessage } from './protocol/worker.js';
import { ServerMessage } from './protocol/ws.js';
import { RunId } from './run-record.js';
import { describeZodError } from './validation.js';

const errorOf = (result: { success: boolean; error?: import('zod').ZodError }) => describeZodError(result.error!);

describe('CreateRunBody', () => {
  it('accepts an experiment with params', () => {
    expect(CreateRunBody.safeParse({ experiment: 'seed-strings', params: { n: 1000 } }).success).toBe(true);
  });
  it('names the missing or wrong field', () => {
    expect(errorOf(CreateRunBody.safeParse({}))).toMatch(/^experiment: /);
    expect(errorOf(CreateRunBody.safeParse({ experiment: 3 }))).toMatch(/^experiment: /);
    expect(errorOf(CreateRunBody.safeParse({ experiment: 'x', params: { n: 'many' } }))).toMatch(/^params\.n: /);
    expect(errorOf(CreateRunBody.safeParse({ experiment: 'x', color: 'red' }))).toBe('color: unknown field');
  });
  it('rejects a "__proto__" parameter that z.record alone would drop silently', () => {
    const body = JSON.parse('{"experiment": "seed-strings", "params": {"__proto__": 5}}');
    expect(errorOf(CreateRunBody.safeParse(body))).toBe('params.__proto__: unknown parameter');
  });
  it('takes memoryCapMiB as an integer only', () => {
    expect(CreateRunBody.safeParse({ experiment: 'x', memoryCapMiB: 512 }).success).toBe(true);
    expect(errorOf(CreateRunBody.safeParse({ experiment: 'x', memoryCapMiB: 1.5 }))).toMatch(/^memoryCapMiB: /);
    expect(errorOf(CreateRunBody.safeParse({ experiment: 'x', memoryCapMiB: '512' }))).toMatch(/^memoryCapMiB: /);
  });
});

describe('resolveParams', () => {
  const seed = findExperiment('seed-strings')!;
  it('fills defaults', () => {
    expect(resolveParams(seed, {})).toEqual({ ok: true, params: { n: 10_000_000 } });
  });
  it.each([
    [{ n: -1 }, /^params\.n: must be between/],
    [{ n: 1e15 }, /^params\.n: must be (between|an integer)/],
    [{ n: 1.5 }, /^params\.n: must be an integer/],
    [{ n: Number.NaN }, /^params\.n: must be an integer/],
    [{ size: 10 }, /^params\.size: unknown parameter for seed-strings/],
  ])('rejects %o', (params, message) => {
    const result = resolveParams(seed, params);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });
  it('every catalog default is within its own bounds', () => {
    for (const e of CATALOG) expect(resolveParams(e, {}).ok, e.id).toBe(true);
  });
});

describe('wire messages', () => {
  it('rejects a worker message of an unknown type or with a bad phase', () => {
    expect(WorkerMessage.safeParse({ type: 'launch', t: 1 }).success).toBe(false);
    expect(errorOf(WorkerMessage.safeParse({ type: 'phase', phase: 'nap', edge: 'start', t: 1, heap: {} }))).toMatch(/^phase: /);
  });
  it('rejects a server frame with negative RSS', () => {
    const r = ServerMessage.safeParse({ type: 'samples', runId: 'abc', samples: [{ t: 1, rss: -5 }] });
    expect(errorOf(r)).toMatch(/^samples\.0\.rss: /);
  });
  it('run ids cannot climb out of a directory', () => {
    for (const bad of ['../etc', 'a/b', '', '.hidden', 'A'.repeat(70)]) expect(RunId.safeParse(bad).success, bad).toBe(false);
    expect(RunId.safeParse('mwv7telb-86ab6d').success).toBe(true);
  });
});

// The user's own code, run for real by both workers through a real server: the seed pasted as
// custom Python measures like py-seed; syntax errors and exceptions name the phase, the field and
// the line; an endless loop and a memory bomb end at the caps; output is kept up to 64 KiB. The
// server answers /api/health after each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { machine } from '../server/machine.js';
import { OUTPUT_MAX_BYTES } from '../shared/custom/facts.js';
import { PRESETS } from '../shared/custom/presets.js';
import { RunRecord } from '../shared/run-record.js';
import { MiB } from '../shared/units.js';
import { connectRecorder, isRunEnd, postJson, startTestServer } from './helpers.js';

const hasPython = typeof machine().python !== 'string';
let app: RunningApp;
/** A second server with a short wall-clock cap, for the endless loop. */
let shortCap: RunningApp;

beforeAll(async () => {
  app = await startTestServer();
  shortCap = await startTestServer({ wallClockCapS: 2 });
});
afterAll(async () => {
  await app?.close();
  await shortCap?.close();
});

/** Posts a run, waits for its end, checks the server still answers, and returns the stored record. */
async function run(body: Record<string, unknown>, server = app): Promise<RunRecord> {
  const ws = await connectRecorder(server.url);
  try {
    const { status, json } = await postJson(`${server.url}/api/runs`, { settleMs: 200, sampleHz: 500, ...body });
    expect(status, JSON.stringify(json)).toBe(201);
    await ws.waitFor(isRunEnd(json.id), 60_000);
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    return RunRecord.parse(await (await fetch(`${server.url}/api/runs/${json.id}`)).json());
  } finally {
    ws.close();
  }
}

const python = (code: Record<string, string>, extra: Record<string, unknown> = {}) => ({ experiment: 'custom', runtime: 'python', code, ...extra });
const node = (code: Record<string, string>, extra: Record<string, unknown> = {}) => ({ experiment: 'custom', runtime: 'node', code, ...extra });

describe.skipIf(!hasPython)('custom Python code', () => {
  it("the seed pasted as custom code gives py-seed's Allocation within 15 %", async () => {
    const seed = "foo = ['abc' for x in range(10**7)]";
    const custom = await run(python({ allocate: seed }));
    const builtIn = await run({ experiment: 'py-seed', params: { n: 10_000_000 } });
    expect(custom.status, custom.error).toBe('finished');
    expect(builtIn.status, builtIn.error).toBe('finished');
    // The record keeps the exact code, the default unreference written out, and its hash.
    expect(custom.code).toEqual({ setup: '', allocate: seed, unreference: 'del foo' });
    expect(custom.codeHash).toMatch(/^[0-9a-f]{64}$/);
    const a = custom.summary!.allocationPct;
    const b = builtIn.summary!.allocationPct;
    console.log(`seed as custom Python: Allocation ${a.toFixed(1)} % (mem0 ${(custom.summary!.mem0 / MiB).toFixed(1)} MiB); py-seed ${b.toFixed(1)} % (mem0 ${(builtIn.summary!.mem0 / MiB).toFixed(1)} MiB)`);
    expect(Math.abs(a - b) / b).toBeLessThan(0.15);
    expect(custom.summary!.verdict).toBe('released');
  });

  it('a syntax error on line 3 fails the run, naming line 3 and the phase', async () => {
    const record = await run(python({ allocate: 'import math\nfoo = []\nfor x in range(10) foo.append(x)\n' }));
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/^your code failed in phase allocate, line 3, column \d+: SyntaxError: /);
    expect(record.codeError).toMatchObject({ phase: 'allocate', field: 'allocate', line: 3, type: 'SyntaxError' });
    expect(record.phases).toEqual([]); // compiled before baseline: nothing was allocated for nothing
  });

  it('an exception in unreference fails the run in unreference; setup, allocate and unreference share names', async () => {
    const record = await run(python({
      setup: 'def make(n):\n    return [str(i) for i in range(n)]\n',
      allocate: 'foo = make(1000)\nprint("made", len(foo))',
      unreference: 'del foo\nbar.append(1)',
    }));
    expect(record.status).toBe('failed');
    expect(record.error).toBe("your code failed in phase unreference, line 2, column 1: NameError: name 'bar' is not defined");
    expect(record.codeError).toMatchObject({ phase: 'unreference', field: 'unreference', line: 2 });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'allocate', 'unreference']);
    expect(record.output).toEqual({ text: 'made 1000\n', bytes: 10, truncated: false });
  });

  it('`while True: pass` in allocate is killed at the wall-clock cap', async () => {
    const record = await run(python({ allocate: 'foo = 1\nwhile True: pass' }), shortCap);
    expect(record.status).toBe('failed');
    expect(record.error).toBe('killed: exceeded wall-clock cap 2 s at phase allocate');
  });

  it('allocating 2× the memory cap is killed by the cap', async () => {
    const record = await run(python({ allocate: "foo = b'x' * (128 * 2**20)" }, { memoryCapMiB: 64 }));
    expect(record.status).toBe('failed');
    expect(record.error).toBe('killed: exceeded memory cap 64 MiB at phase allocate');
    expect(Math.max(...record.samples.map((s) => s.rss))).toBeLessThan(128 * MiB);
  });

  it('output beyond 64 KiB is cut, and the record says so', async () => {
    const record = await run(python({ allocate: "foo = 0\nfor i in range(2000): print('x' * 99)" }));
    expect(record.status, record.error).toBe('finished');
    expect(record.output!.bytes).toBe(2000 * 100);
    expect(record.output!.truncated).toBe(true);
    expect(record.output!.text.length).toBe(OUTPUT_MAX_BYTES);
  });
});

describe('custom Node code', () => {
  it('runs the three fields in one context: let foo from allocate is there for unreference; RSS moves', async () => {
    const record = await run(node({
      setup: "const fill = (n) => Buffer.alloc(n, 7);\nconsole.log('setup ran');",
      allocate: 'let foo = [];\nfor (let i = 0; i < 64; i++) foo.push(fill(1 << 20));',
    }));
    expect(record.status, record.error).toBe('finished');
    expect(record.code!.unreference).toBe('foo = null;');
    expect(record.output!.text).toBe('setup ran\n');
    expect(record.summary!.mem1 - record.summary!.mem0).toBeGreaterThan(60 * MiB);
    expect(record.summary!.mem3 - record.summary!.mem0).toBeLessThan(16 * MiB);
  });

  it('a syntax error names its line and column in the field as typed', async () => {
    const record = await run(node({ allocate: 'let foo = 1;\nlet bar = 2;\n  foo(;\n' }));
    expect(record.status).toBe('failed');
    expect(record.error).toBe("your code failed in phase allocate, line 3, column 7: SyntaxError: Unexpected token ';'");
  });

  it('an exception thrown by a setup helper while allocate runs names setup\'s line, and phase allocate', async () => {
    const record = await run(node({ setup: 'function make() {\n  return missing.x;\n}', allocate: 'let foo = make();' }));
    expect(record.status).toBe('failed');
    // The column is V8's: where it places the throw in that line.
    expect(record.codeError).toMatchObject({ phase: 'allocate', field: 'setup', line: 2, type: 'ReferenceError', message: 'missing is not defined' });
    expect(record.error).toMatch(/^your code failed in phase allocate, setup line 2, column \d+: ReferenceError: missing is not defined$/);
  });

  it('an exception in unreference fails in unreference', async () => {
    const record = await run(node({ allocate: 'const foo = [1, 2, 3];' }));
    expect(record.status).toBe('failed');
    expect(record.error).toBe('your code failed in phase unreference, line 1, column 5: TypeError: Assignment to constant variable.');
  });

  it('an endless loop is killed at the wall-clock cap, a memory bomb at the memory cap', async () => {
    const loop = await run(node({ allocate: 'let foo = 0;\nwhile (true) foo++;' }), shortCap);
    expect(loop.error).toBe('killed: exceeded wall-clock cap 2 s at phase allocate');
    const bomb = await run(node({ allocate: 'let foo = Buffer.alloc(128 * 2 ** 20, 1);' }, { memoryCapMiB: 64 }));
    expect(bomb.error).toBe('killed: exceeded memory cap 64 MiB at phase allocate');
  });
});

describe('the card\'s presets', () => {
  it.each(PRESETS.filter((p) => hasPython || p.runtime === 'node').map((p) => [p.id, p] as const))('%s runs as it stands and allocate raises RSS', async (_id, preset) => {
    const record = await run({ experiment: 'custom', runtime: preset.runtime, code: preset.code });
    expect(record.status, record.error).toBe('finished');
    const s = record.summary!;
    console.log(`preset ${preset.id}: baseline ${(s.mem0 / MiB).toFixed(1)} MiB, allocate +${((s.mem1 - s.mem0) / MiB).toFixed(1)} MiB, after settle ${s.finalPct.toFixed(1)} %, ${s.verdict}`);
    expect(s.mem1 - s.mem0).toBeGreaterThan(8 * MiB);
  });
});

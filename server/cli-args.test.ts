import { describe, expect, it } from 'vitest';
import { parseFlags, parseMatrixCommand, parseRunCommand } from './cli-args.js';

describe('CLI flags', () => {
  it('reads a run: params, knobs, rate, settle, gates', () => {
    expect(parseRunCommand(['py-seed', '--param', 'n=1000', '--runtime-knob', 'trim=true', '--runtime-knob', 'allocator=jemalloc',
      '--hz=500', '--settle', '300', '--json', '--expect', 'retained', '--max-final-mib', '12.5'])).toEqual({
      body: { experiment: 'py-seed', params: { n: 1000 }, knobs: { trim: true, allocator: 'jemalloc' }, sampleHz: 500, settleMs: 300 },
      json: true,
      gates: { expect: 'retained', maxFinalMiB: 12.5 },
    });
  });

  it('a matrix takes no knobs: the matrix chooses them', () => {
    expect(parseMatrixCommand(['seed-strings', '--param', 'n=5000'])).toEqual({ body: { experiment: 'seed-strings', params: { n: 5000 } }, json: false });
    expect(() => parseMatrixCommand(['seed-strings', '--runtime-knob', 'trim=true'])).toThrow(/^matrix: unknown flag "--runtime-knob"/);
  });

  it.each([
    [['x', '--nope'], /^run: unknown flag "--nope" \(run takes --help, --param/],
    [['x', '-v'], /^run: unknown flag "-v"/],
    [['x', '--settle'], /^--settle needs a value$/],
    [['x', '--hz', '--json'], /^--hz needs a value$/],
    [['x', '--json=1'], /^--json takes no value, got "1"$/],
    [['x', '--hz', '2.5'], /^--hz "2\.5": must be an integer from 1 to 1000$/],
    [['x', '--settle', '60001'], /^--settle "60001": must be an integer from 200 to 60000 \(ms\)$/],
    [['x', '--max-final-mib', 'lots'], /^--max-final-mib "lots": must be a number of MiB, 0 or more$/],
    [['x', 'y'], /^run takes one experiment id, got 2$/],
  ])('%j is refused in memtide\'s words', (args, message) => {
    expect(() => parseRunCommand(args)).toThrow(message);
  });

  it('report takes -o or --out, said in memtide\'s words otherwise', () => {
    expect(parseFlags('report', ['a-1', '-o', 'x.html'])).toEqual({ positionals: ['a-1'], strings: { out: 'x.html' }, lists: {}, booleans: {} });
    expect(() => parseFlags('report', ['a-1', '--bogus'])).toThrow(/^report: unknown flag "--bogus" \(report takes --help, -o\/--out\)$/);
    expect(() => parseFlags('report', ['a-1', '-o'])).toThrow(/^-o needs a value$/);
  });

  it('list takes only --json and --help', () => {
    expect(parseFlags('list', ['--json']).booleans).toEqual({ json: true });
    expect(() => parseFlags('list', ['--param', 'n=1'])).toThrow(/^list: unknown flag "--param" \(list takes --help, --json\)$/);
  });
});

// Which knobs a run may use, and the environment they become.
import { describe, expect, it } from 'vitest';
import { describeSettings, Knobs, knobEnvironment, knobMisfit, knobsFor } from './knobs.js';
import { CreateRunBody } from './protocol/http.js';
import { describeZodError } from './validation.js';

const bodyError = (body: unknown) => {
  const parsed = CreateRunBody.safeParse(body);
  return parsed.success ? undefined : describeZodError(parsed.error);
};

describe('Knobs schema', () => {
  it('accepts the knobs of the issue, exactly as named', () => {
    const knobs = { trim: true, allocator: 'jemalloc', pythonMalloc: 'malloc', mallocTrimThreshold: 0, mallocMmapThreshold: 131_072, mallocArenaMax: 2 };
    expect(Knobs.parse(knobs)).toEqual(knobs);
  });
  it.each([
    [{ nope: 1 }, /^knobs\.nope: unknown field/],
    [{ allocator: 'tcmalloc' }, /^knobs\.allocator: must be one of glibc, jemalloc/],
    [{ pythonMalloc: 'debug' }, /^knobs\.pythonMalloc: /],
    [{ mallocArenaMax: 0 }, /^knobs\.mallocArenaMax: must be an integer from 1 to 1024$/],
    [{ mallocTrimThreshold: 1e308 }, /^knobs\.mallocTrimThreshold: must be an integer from 0 to 1099511627776$/],
    [{ mallocMmapThreshold: 64 * 1024 * 1024 }, /^knobs\.mallocMmapThreshold: /],
    [{ mallocTrimThreshold: 1.5 }, /^knobs\.mallocTrimThreshold: must be an integer/],
    [{ trim: 'yes' }, /^knobs\.trim: must be true or false/],
  ])('rejects %j naming the knob', (knobs, message) => {
    expect(bodyError({ experiment: 'py-seed', knobs })).toMatch(message);
  });
});

describe('knobMisfit', () => {
  it('names a knob that does not apply to the runtime or the allocator', () => {
    expect(knobMisfit({ pythonMalloc: 'malloc' }, 'node')).toBe('knobs.pythonMalloc: only for python experiments');
    expect(knobMisfit({ jemallocDirtyDecayMs: 0 }, 'python')).toBe('knobs.jemallocDirtyDecayMs: only with allocator "jemalloc"');
    expect(knobMisfit({ allocator: 'jemalloc', mallocTrimThreshold: 0 }, 'node')).toMatch(/^knobs\.mallocTrimThreshold: a glibc malloc setting/);
    expect(knobMisfit({ trim: true, allocator: 'jemalloc', jemallocMuzzyDecayMs: -1 }, 'python')).toBeUndefined();
  });
  it('lists per runtime which knobs an experiment takes', () => {
    expect(knobsFor('python')).toContain('pythonMalloc');
    expect(knobsFor('node')).not.toContain('pythonMalloc');
  });
});

describe('knobEnvironment', () => {
  it('turns knobs into the variables glibc, CPython and jemalloc read', () => {
    expect(knobEnvironment({ mallocTrimThreshold: 0, mallocMmapThreshold: 4096, mallocArenaMax: 1, pythonMalloc: 'malloc', trim: true }, undefined)).toEqual({
      MALLOC_TRIM_THRESHOLD_: '0', MALLOC_MMAP_THRESHOLD_: '4096', MALLOC_ARENA_MAX: '1', PYTHONMALLOC: 'malloc',
    });
    expect(knobEnvironment({ allocator: 'jemalloc', jemallocDirtyDecayMs: 0, jemallocMuzzyDecayMs: 0 }, '/lib/libjemalloc.so.2')).toEqual({
      LD_PRELOAD: '/lib/libjemalloc.so.2', MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0',
    });
    expect(() => knobEnvironment({ allocator: 'jemalloc' }, undefined)).toThrow(/knobs\.allocator/);
  });
  it('describes the settings for a chart title', () => {
    expect(describeSettings({ LD_PRELOAD: '/usr/lib/x/libjemalloc.so.2', PYTHONMALLOC: 'malloc' }, { trim: true }))
      .toBe('LD_PRELOAD=libjemalloc.so.2 · PYTHONMALLOC=malloc · malloc_trim(0) phase');
    expect(describeSettings({}, {})).toBe('default allocator settings');
  });
});

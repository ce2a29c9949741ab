import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('configFromEnv', () => {
  it('defaults to loopback, port 5177, ./.memtide', () => {
    expect(configFromEnv({})).toEqual({
      ok: true,
      options: { host: '127.0.0.1', port: 5177, token: undefined, allowedHosts: [], dataDir: '.memtide', memoryCapMiB: undefined, wallClockCapS: undefined, sampleHz: undefined, allowCode: true },
    });
  });
  it('reads every setting', () => {
    const config = configFromEnv({ HOST: '0.0.0.0', PORT: '0', MEMTIDE_TOKEN: 't'.repeat(20), MEMTIDE_ALLOWED_HOSTS: 'Box.lan, lab', MEMTIDE_DATA: '/d', MEMTIDE_MEMORY_CAP_MIB: '512', MEMTIDE_WALL_CLOCK_S: '30', MEMTIDE_SAMPLE_HZ: '250', MEMTIDE_ALLOW_CODE: '0' });
    expect(config).toEqual({ ok: true, options: { host: '0.0.0.0', port: 0, token: 't'.repeat(20), allowedHosts: ['box.lan', 'lab'], dataDir: '/d', memoryCapMiB: 512, wallClockCapS: 30, sampleHz: 250, allowCode: false } });
  });
  it('takes the workers\' nice value, 0 (as the server) to 19', () => {
    expect(configFromEnv({ MEMTIDE_WORKER_NICE: '0' })).toMatchObject({ ok: true, options: { workerNice: 0 } });
    expect(configFromEnv({ MEMTIDE_WORKER_NICE: '19' })).toMatchObject({ ok: true, options: { workerNice: 19 } });
  });
  it.each([
    [{ PORT: 'http' }, /^PORT must be an integer/],
    [{ PORT: '70000' }, /^PORT must be an integer/],
    [{ MEMTIDE_MEMORY_CAP_MIB: '2g' }, /^MEMTIDE_MEMORY_CAP_MIB must be an integer/],
    [{ MEMTIDE_WALL_CLOCK_S: '-1' }, /^MEMTIDE_WALL_CLOCK_S must be an integer/],
    [{ MEMTIDE_SAMPLE_HZ: '5000' }, /^MEMTIDE_SAMPLE_HZ must be an integer from 1 to 1000/],
    [{ MEMTIDE_WORKER_NICE: '-5' }, /^MEMTIDE_WORKER_NICE must be an integer from 0 to 19, got "-5"/],
    [{ MEMTIDE_WORKER_NICE: '20' }, /^MEMTIDE_WORKER_NICE must be an integer from 0 to 19/],
    [{ MEMTIDE_ALLOW_CODE: 'no' }, /^MEMTIDE_ALLOW_CODE must be 0 \(user code off\) or 1, got "no"/],
  ])('refuses %j', (env, message) => {
    const config = configFromEnv(env);
    expect(config.ok).toBe(false);
    expect(!config.ok && config.error).toMatch(message);
  });
});

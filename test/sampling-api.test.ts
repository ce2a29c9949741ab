// sampleHz in POST /api/runs: bounded, used, and reported back with the rate achieved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../server/app.js';
import { type ServerMessage } from '../shared/protocol/ws.js';
import { RunRecord } from '../shared/run-record.js';
import { defaultMethod } from '../server/sampling/rss-sampler.js';
import { connectRecorder, postJson, startTestServer } from './helpers.js';

let app: RunningApp;
beforeAll(async () => {
  app = await startTestServer();
});
afterAll(async () => {
  await app?.close();
});

describe('sampleHz', () => {
  it.each([0, 0.5, 1001, 'fast', null])('POST /api/runs with sampleHz %j → 400 naming it', async (sampleHz) => {
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', sampleHz });
    expect(status).toBe(400);
    expect(json.error).toMatch(/^sampleHz: must be a number from 1 to 1000/);
  });

  it('a run samples at the rate asked and the record says what it achieved', async () => {
    const ws = await connectRecorder(app.url);
    const { status, json } = await postJson(`${app.url}/api/runs`, { experiment: 'seed-strings', params: { n: 1_000_000 }, sampleHz: 50 });
    expect(status).toBe(201);
    await ws.waitFor((m): m is ServerMessage => (m.type === 'run-finished' || m.type === 'run-failed') && m.runId === json.id);
    ws.close();
    const record = RunRecord.parse(await (await fetch(`${app.url}/api/runs/${json.id}`)).json());
    expect(record.status, record.error).toBe('finished');
    expect(record.sampleHz).toBe(50);
    expect(record.sampler).toBe(defaultMethod()); // the native process where memtide was built with a C compiler
    // ~1.4 s of run at 50 Hz: tens of samples, nowhere near the 1 kHz default.
    expect(record.samples.length).toBeGreaterThan(20);
    expect(record.samples.length).toBeLessThan(200);
    expect(record.achievedHz).toBeGreaterThan(20);
    expect(record.achievedHz).toBeLessThan(60);
    expect(record.sampleGapP99Ms).toBeGreaterThan(0);
  });
});

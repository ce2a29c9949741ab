// A stored run as the stream that made it: the messages the server sent, each at its time since the
// run started. Played through apply() at 1×/4×/16× it draws the run as it happened; applied at
// once it must give the same state as the record itself (a test checks), so it doubles as a fixture.
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import type { RunRecord } from '../../../shared/run-record.js';

export interface Timed {
  /** ms since the run started. */
  at: number;
  message: ServerMessage;
}

/** How the server batches samples (server/run.ts hands over ≤ 10 ms at a time). */
const BATCH_MS = 10;

export function replayMessages(record: RunRecord): Timed[] {
  const { phases, samples, heap, breakdowns, ...info } = record;
  const runId = record.id;
  const t0 = record.createdAt;
  const out: (Timed & { order: number })[] = [];
  const push = (t: number, message: ServerMessage, order = 1) => out.push({ at: Math.max(0, t - t0), message, order });
  const started = { ...info, status: 'running' as const, summary: null, endedAt: undefined, error: undefined, achievedHz: undefined, sampleGapP99Ms: undefined };
  push(t0, { type: 'run-started', run: started }, 0);
  for (const p of phases) {
    push(p.start, { type: 'phase', runId, phase: p.name, edge: 'start', t: p.start });
    if (p.end !== undefined) push(p.end, { type: 'phase', runId, phase: p.name, edge: 'end', t: p.end }, 2);
  }
  for (let i = 0; i < samples.length; ) {
    const until = samples[i]!.t + BATCH_MS;
    let j = i;
    while (j < samples.length && samples[j]!.t < until) j++;
    push(samples[j - 1]!.t, { type: 'samples', runId, samples: samples.slice(i, j) });
    i = j;
  }
  for (const h of heap) push(h.t, { type: 'heap', runId, heap: [h] });
  for (const b of breakdowns) push(b.t, { type: 'breakdown', runId, breakdown: b }, 3);
  const ended = record.endedAt ?? Math.max(samples.at(-1)?.t ?? t0, ...phases.map((p) => p.end ?? p.start));
  if (record.status === 'finished' && record.summary) push(ended, { type: 'run-finished', runId, run: info, summary: record.summary }, 9);
  else if (record.status !== 'running' && record.status !== 'queued') push(ended, { type: 'run-failed', runId, run: info, error: record.error ?? record.status }, 9);
  return out.sort((a, b) => a.at - b.at || a.order - b.order).map(({ at, message }) => ({ at, message }));
}

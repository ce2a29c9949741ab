// Reads a run's memory breakdown (proc-smaps.ts) on a worker_thread of its own: at a phase end of a
// big process, smaps_rollup and smaps take 40-60 ms to read (10⁷ strings in V8: an 830 KB smaps,
// mostly kernel time), and read on the server's main thread they held every sample batch that
// long — the tail of the live chart's latency, at every phase end. The thread runs at the
// workers' lower priority (worker-priority.ts lowerThisThread): the walk yields to the server's
// streaming thread when both want a core. Runs compiled
// (dist/server/sampling/breakdown-thread.js), like sampler-thread.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThread } from '../worker-priority.js';
import type { MemoryBreakdown, PhaseName } from '../../shared/run-record.js';
import { readMemoryBreakdown } from './proc-smaps.js';

export interface BreakdownRequest {
  tag: number;
  pid: number;
  phase: PhaseName;
  t: number;
}
export interface BreakdownReply {
  tag: number;
  breakdown: MemoryBreakdown | undefined;
}

/** What the thread is started with: how far below the server it runs (the workers' nice). */
export interface BreakdownThreadData {
  nice: number;
}

if (parentPort) {
  lowerThisThread((workerData as BreakdownThreadData).nice);
  const port = parentPort;
  port.on('message', ({ tag, pid, phase, t }: BreakdownRequest) => {
    port.postMessage({ tag, breakdown: readMemoryBreakdown(pid, phase, t) } satisfies BreakdownReply);
  });
}

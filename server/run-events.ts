// What runs tell the world as they go: every server event of shared/protocol/ws.ts, and RSS
// samples, which stay packed (sampling/packed-samples.ts) all the way to the socket. Two
// implementations: ws-hub.ts (every dashboard connected) and cli.ts (the terminal).
import type { ServerMessage } from '../shared/protocol/ws.js';
import { runInfo, type RunRecord } from '../shared/run-record.js';
import type { PackedSamples } from './sampling/packed-samples.js';

export interface RunEvents {
  /** Any event but samples: run-started, phase, heap, breakdown, run-finished, queue… */
  send(message: ServerMessage): void;
  /** A batch of a run's RSS readings, as the sampler handed it over; sent as a `samples` event. */
  samples(runId: string, packed: PackedSamples): void;
  /** Someone takes samples as they come (a dashboard is open): batches then leave every ≤ 10 ms. */
  watching(): boolean;
}

/** The event that tells clients an ended run's fate: run-finished with its summary, or run-failed. */
export function runEndMessage(record: RunRecord): ServerMessage {
  const run = runInfo(record);
  return record.status === 'finished' && record.summary
    ? { type: 'run-finished', runId: record.id, run, summary: record.summary }
    : { type: 'run-failed', runId: record.id, run, error: record.error ?? record.status };
}

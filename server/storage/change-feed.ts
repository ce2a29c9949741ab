// Runs written or deleted by other processes on the same database (a CLI run, another tool), seen
// within a poll: PRAGMA data_version moves when another connection commits (a few µs to ask), and
// then the `changes` rows after the last one seen say which runs. This store's own changes are
// skipped (told by rev, RunStore.ownChange: two containers may both be pid 1): it told its clients
// already.
import type { RunEvents } from '../run-events.js';
import type { RecordReader } from './record-reader.js';
import type { Change, RunStore } from './run-store.js';

export const POLL_MS = 250;

export interface ChangeFeed {
  stop(): void;
  /** Reads what changed now, without waiting for the next poll. */
  poll(): void;
}

export function watchChanges(store: RunStore, onChanges: (changes: Change[]) => void, onError: (error: Error) => void, pollMs = POLL_MS): ChangeFeed {
  let version = store.dataVersion();
  let rev = store.lastRev();
  let failing = false;
  const poll = () => {
    try {
      const now = store.dataVersion();
      if (now === version) return;
      version = now;
      const seen: Change[] = [];
      for (let batch = store.changesSince(rev); batch.length > 0; batch = store.changesSince(rev)) {
        rev = batch.at(-1)!.rev;
        seen.push(...batch.filter((c) => !store.ownChange(c.rev)));
      }
      failing = false;
      if (seen.length > 0) onChanges(seen);
    } catch (error) {
      if (!failing) onError(error as Error); // said once, not four times a second
      failing = true;
    }
  };
  const timer = setInterval(poll, pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer), poll };
}

/**
 * Tells this process's clients about runs other processes stored or deleted in the same database
 * (a CLI run shows in a running server's history within a poll).
 */
export function followOtherProcesses(store: RunStore, reader: RecordReader, events: RunEvents, log: (line: string) => void, pollMs?: number): ChangeFeed {
  return watchChanges(store, (changes) => {
    for (const { runId, change } of changes) {
      // One at a time: a damaged row must not drop the changes after it (the poll has moved past them).
      try {
        reader.forget(runId);
        if (change === 'deleted') events.send({ type: 'run-deleted', runId });
        else {
          const run = store.info(runId);
          if (run) events.send({ type: 'run-stored', run });
        }
      } catch (error) {
        log(`memtide: run ${runId}, ${change} by another process, is not shown: ${(error as Error).message}`);
      }
    }
  }, (error) => log(`memtide: cannot follow other processes' runs: ${error.message}`), pollMs);
}

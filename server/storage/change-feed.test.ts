// The change feed between two stores on one database, both in this process (so both have the same
// pid, as two containers' pid 1 would): each sees the other's changes and skips only its own, and
// one damaged row does not drop the changes after it.
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol/ws.js';
import { record, tempDir } from '../../test/store-fixtures.js';
import type { RunEvents } from '../run-events.js';
import { followOtherProcesses, watchChanges } from './change-feed.js';
import type { RecordReader } from './record-reader.js';
import { RunStore } from './run-store.js';

describe('change feed', () => {
  it('tells own changes from another store\'s by rev, not by pid', () => {
    const dir = tempDir();
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    const seen: string[] = [];
    const feed = watchChanges(a, (changes) => seen.push(...changes.map((c) => `${c.runId} ${c.change}`)), (error) => seen.push(`error ${error.message}`), 3_600_000);
    a.save(record('own-1'));
    b.save(record('other-2'));
    b.delete('other-2');
    a.save(record('own-3', 1_700_000_001_000));
    feed.poll();
    expect(seen).toEqual(['other-2 saved', 'other-2 deleted']);
    feed.stop();
    a.close();
    b.close();
  });

  it('one damaged run among the changes does not drop the others', () => {
    const dir = tempDir();
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    const sent: ServerMessage[] = [];
    const log: string[] = [];
    const events = { send: (m: ServerMessage) => sent.push(m) } as unknown as RunEvents;
    const reader = { forget: () => undefined } as unknown as RecordReader;
    const feed = followOtherProcesses(a, reader, events, (line) => log.push(line), 3_600_000);
    b.save(record('bad-1'));
    b.save(record('good-2', 1_700_000_001_000));
    b.db.prepare("UPDATE runs SET info = json_object('id', id, 'status', 42) WHERE id = 'bad-1'").run();
    feed.poll();
    expect(sent.map((m) => (m.type === 'run-stored' ? `${m.type} ${m.run.id}` : m.type))).toEqual(['run-stored good-2']);
    expect(log).toEqual([expect.stringMatching(/^memtide: run bad-1, saved by another process, is not shown: run bad-1: the stored info is not a run/)]);
    feed.stop();
    a.close();
    b.close();
  });
});

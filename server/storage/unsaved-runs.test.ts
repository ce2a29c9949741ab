// What UnsavedRuns does with each kind of failed write: a full disk is retried until it works, a
// damaged database is never written again (its runs kept in memory, new runs refused, the advice
// said once). A stand-in store counts the writes; retry() is called by hand, so no clock is involved.
import { describe, expect, it } from 'vitest';
import type { RunInfo, RunRecord } from '../../shared/run-record.js';
import { record, tempDir } from '../../test/store-fixtures.js';
import { machine } from '../machine.js';
import { RunRegistry } from '../run-registry.js';
import { parseRunRequest } from '../run-request.js';
import { RunStore } from './run-store.js';
import { StoreError, type StoreErrorKind } from './store-errors.js';
import { UnsavedRuns } from './unsaved-runs.js';

function setup(failWith: StoreErrorKind) {
  const saved: string[] = [];
  let attempts = 0;
  let failing: StoreErrorKind | undefined = failWith;
  const store = {
    save(r: RunRecord) {
      attempts++;
      if (failing) throw new StoreError(failing, `could not store run ${r.id}: ${failing === 'damaged' ? 'memtide.db is damaged. To recover the runs: …' : 'the disk is full'}`);
      saved.push(r.id);
    },
  } as unknown as RunStore;
  const log: string[] = [];
  const stored: RunInfo[] = [];
  const unsaved = new UnsavedRuns(store, { stored: (info) => stored.push(info), changed: () => undefined, log: (line) => log.push(line) }, 3_600_000);
  return { unsaved, saved, log, stored, attempts: () => attempts, heal: () => (failing = undefined) };
}

describe('UnsavedRuns', () => {
  it('retries a full disk, and stores the run once space is back', () => {
    const t = setup('full');
    expect(t.unsaved.save(record('a-1')).unsaved).toBe('could not store run a-1: the disk is full');
    t.unsaved.retry();
    expect(t.attempts()).toBe(2);
    expect(t.unsaved.refusal()).toBeUndefined();
    t.heal();
    t.unsaved.retry();
    expect(t.saved).toEqual(['a-1']);
    expect(t.stored.map((r) => r.id)).toEqual(['a-1']);
    expect(t.unsaved.size).toBe(0);
    t.unsaved.stop();
  });

  it('never writes into a damaged database again: keeps the runs, says the advice once, refuses new runs', () => {
    const t = setup('damaged');
    const kept = t.unsaved.save(record('a-1'));
    expect(kept.unsaved).toBe('could not store run a-1: memtide.db is damaged. To recover the runs: …');
    t.unsaved.retry();
    t.unsaved.retry();
    t.heal(); // even if a write would pass now: the file is not to be touched
    const second = t.unsaved.save(record('b-2'));
    t.unsaved.retry();
    expect(t.attempts()).toBe(1);
    expect(t.saved).toEqual([]);
    expect(second.unsaved).toBe(kept.unsaved);
    expect(t.unsaved.infos().map((r) => [r.id, r.unsaved])).toEqual([['a-1', kept.unsaved], ['b-2', kept.unsaved]]);
    expect(t.log.filter((line) => line.includes('To recover the runs'))).toHaveLength(1);
    expect(t.unsaved.refusal()).toBe(`the run database is damaged, so no run can be stored: ${kept.unsaved}`);
  });

  it('a registry whose database turned out damaged refuses new runs, with the reason', () => {
    const store = new RunStore(tempDir());
    const registry = new RunRegistry({
      events: { send: () => undefined, samples: () => undefined, watching: () => false },
      store, log: () => undefined,
      spawn: () => {
        throw new Error('no worker may start');
      },
    });
    store.save = () => {
      throw new StoreError('damaged', 'could not store run a-1: memtide.db is damaged');
    };
    registry.unsaved.save(record('a-1'));
    const request = parseRunRequest({ experiment: 'seed-strings', params: { n: 1000 } }, machine());
    if (!request.ok) throw new Error(request.error);
    const refused = { ok: false, reason: 'store-damaged', error: 'the run database is damaged, so no run can be stored: could not store run a-1: memtide.db is damaged' };
    expect(registry.submit(request.request)).toEqual(refused);
    expect(registry.submitAll([request.request, request.request])).toEqual(refused);
    registry.unsaved.stop();
  });
});

// Importing the old JSON store, from a data directory with hostile things in it: nothing blocks,
// nothing grows without bound, nothing is deleted, and a second start imports nothing twice.
import { constants } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLegacyRuns, MAX_LEGACY_RUN_FILE_BYTES, openRunStore } from './legacy-import.js';
import { record, tempDir } from '../../test/store-fixtures.js';
import { RunStore } from './run-store.js';
import { readRegularFile } from './safe-read.js';

describe('legacy JSON import', () => {
  it('imports both old layouts once, accepts a BOM, reports and keeps what it cannot read', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'set-1.json'), JSON.stringify(record('set-1'))); // MEMTIDE_DATA=dir
    writeFileSync(join(dir, 'runs', 'default-2.json'), `\uFEFF${JSON.stringify(record('default-2', 1_700_000_001_000))}`); // ./.memtide/runs
    writeFileSync(join(dir, 'truncated-3.json'), JSON.stringify(record('truncated-3')).slice(0, 60));
    writeFileSync(join(dir, 'other-4.json'), JSON.stringify(record('someone-else')));
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const before = readdirSync(dir).sort();
    const lines: string[] = [];
    const store = openRunStore(dir, (line) => lines.push(line));
    expect(store.page({ limit: 10, sort: 'date', order: 'desc', filter: {} }).runs.map((r) => r.id)).toEqual(['default-2', 'set-1']);
    expect(store.load('default-2')).toEqual(record('default-2', 1_700_000_001_000));
    expect(lines.filter((l) => l.includes('skipped')).sort()).toEqual([
      expect.stringMatching(/^memtide: skipped other-4\.json in .*: holds run someone-else, not other-4\. To import it, make it a whole run record \(\d+ bytes at most\) and start memtide again: skipped files are tried at every start/),
      expect.stringMatching(/^memtide: skipped truncated-3\.json in .*: not JSON/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^memtide: imported 2 runs from the JSON files in .* into .*memtide\.db; the files are left as they were$/));
    expect(readdirSync(dir).filter((f) => !f.startsWith('memtide.db')).sort()).toEqual(before);

    // A second start imports nothing, and a run deleted since does not come back.
    expect(store.delete('set-1')).toBe(true);
    expect(importLegacyRuns(store)).toMatchObject({ imported: 0, alreadyThere: 0 });
    expect(store.load('set-1')).toBeUndefined();
    store.close();
  });

  it('skips FIFOs, devices, directories and huge files named like runs without blocking or reading them', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'aaaa-fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero-1.json'));
    mkdirSync(join(dir, 'a-dir.json'));
    truncateSync((writeFileSync(join(dir, 'huge-1.json'), ''), join(dir, 'huge-1.json')), MAX_LEGACY_RUN_FILE_BYTES + 1); // sparse
    truncateSync((writeFileSync(join(dir, 'holes-1.json'), ''), join(dir, 'holes-1.json')), 100 * 2 ** 20); // under the cap, all holes
    writeFileSync(join(dir, 'fine-1.json'), JSON.stringify(record('fine-1')));
    const started = performance.now();
    const store = new RunStore(dir);
    const result = importLegacyRuns(store);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.imported).toBe(1);
    expect(Object.fromEntries(result.problems.map((p) => [p.file, p.error]))).toEqual({
      'aaaa-fifo.json': 'a FIFO, not a regular file: not read',
      'zero-1.json': 'a character device, not a regular file: not read',
      'a-dir.json': 'a directory, not a regular file: not read',
      'huge-1.json': `${MAX_LEGACY_RUN_FILE_BYTES + 1} bytes, over the ${MAX_LEGACY_RUN_FILE_BYTES}-byte limit: not read`,
      'holes-1.json': 'does not start like a JSON run (no "{"): not read',
    });
    store.close();
  });

  it('imports a good run file over 64 MiB (the old store wrote runs up to JSON.stringify\'s limit)', () => {
    const dir = tempDir();
    const text = JSON.stringify(record('big-1')) + ' '.repeat(65 * 2 ** 20); // whitespace: valid JSON, cheap to parse
    writeFileSync(join(dir, 'big-1.json'), text);
    expect(MAX_LEGACY_RUN_FILE_BYTES).toBe(3 * constants.MAX_STRING_LENGTH); // 3 × 536 870 888 = 1 610 612 664 in Node 20
    const store = new RunStore(dir);
    expect(importLegacyRuns(store)).toEqual({ imported: 1, alreadyThere: 0, problems: [] });
    expect(store.load('big-1')).toEqual(record('big-1'));
    store.close();
  });

  it('passes over a file imported meanwhile by another process: a run deleted since stays deleted', () => {
    const store = new RunStore(tempDir());
    const entries = [{ file: 'gone-1.json', record: record('gone-1') }];
    expect(store.importRuns(entries)).toEqual({ imported: 1, alreadyThere: 0 });
    expect(store.delete('gone-1')).toBe(true);
    // A second importer that listed the files before the first had remembered them:
    expect(store.importRuns(entries)).toEqual({ imported: 0, alreadyThere: 0 });
    expect(store.load('gone-1')).toBeUndefined();
    store.close();
  });

  it('reads a file only up to the cap even when it grows after the check', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'small.json'), 'x'.repeat(100));
    expect(readRegularFile(join(dir, 'small.json'), 50)).toEqual({ ok: false, error: '100 bytes, over the 50-byte limit: not read' });
    expect(readRegularFile(join(dir, 'small.json'), 100)).toEqual({ ok: true, text: 'x'.repeat(100) });
    expect(readRegularFile(join(dir, 'missing.json'))).toMatchObject({ ok: false, error: expect.stringMatching(/ENOENT/) });
  });
});

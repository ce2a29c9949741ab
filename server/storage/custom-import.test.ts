// The saved experiments' old files imported into the database from a data directory anyone may
// have put things in: a FIFO or a link to /dev/zero named like one, a huge file, a byte-order
// mark, a custom-experiments that is a file. Imported once, the bad ones named, nothing deleted.
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/store-fixtures.js';
import { importSavedFiles, MAX_SAVED_FILE_BYTES, openCustomStore } from './custom-import.js';
import { CUSTOM_DIR, CustomStore, LEGACY_CUSTOM_DIR } from './custom-store.js';
import { RunStore } from './run-store.js';

const body = { name: 'Map of 10⁶', runtime: 'node' as const, code: { allocate: 'let foo = new Map();' } };
const saved = (id: string, updatedAt = 2) => ({ ...body, id, createdAt: 1, updatedAt });

describe('importing the saved experiments of the old files', () => {
  it('imports once, accepts a BOM, names and skips FIFOs, devices, huge and broken files, and deletes nothing', () => {
    const data = tempDir();
    const dir = join(data, CUSTOM_DIR);
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'fifo-1.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero-1.json'));
    const huge = openSync(join(dir, 'huge-1.json'), 'w');
    ftruncateSync(huge, MAX_SAVED_FILE_BYTES + 1); // sparse: no disk needed
    closeSync(huge);
    writeFileSync(join(dir, 'bom-1.json'), `\ufeff${JSON.stringify(saved('bom-1'))}`);
    writeFileSync(join(dir, 'plain-2.json'), JSON.stringify(saved('plain-2', 3)));
    writeFileSync(join(dir, 'broken-1.json'), '{"name":');
    writeFileSync(join(dir, 'other-1.json'), JSON.stringify(saved('someone')));
    writeFileSync(join(dir, '.tmp-cut-1.json-abcd'), '{'); // a write the old store never finished
    const before = readdirSync(dir).sort();

    const lines: string[] = [];
    const store = new RunStore(data);
    const custom = openCustomStore(store, (line) => lines.push(line));
    expect(custom.list()).toEqual([saved('plain-2', 3), saved('bom-1')]);
    expect(lines.map((l) => l.replace(` in ${store.dir}`, ''))).toEqual([
      'memtide: skipped custom-experiments/broken-1.json: not JSON (Unexpected end of JSON input)',
      'memtide: skipped custom-experiments/fifo-1.json: a FIFO, not a regular file: not read',
      `memtide: skipped custom-experiments/huge-1.json: ${MAX_SAVED_FILE_BYTES + 1} bytes, over the ${MAX_SAVED_FILE_BYTES}-byte limit: not read`,
      'memtide: skipped custom-experiments/other-1.json: holds experiment someone',
      'memtide: skipped custom-experiments/zero-1.json: a character device, not a regular file: not read',
      `memtide: imported 2 saved experiments from the JSON files into ${store.file}; the files are left as they were`,
    ]);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(store.db.prepare('SELECT name, experiment_id FROM imported_custom_files ORDER BY name').all()).toEqual([
      { name: 'custom-experiments/bom-1.json', experiment_id: 'bom-1' },
      { name: 'custom-experiments/plain-2.json', experiment_id: 'plain-2' },
    ]);

    // A second start imports nothing twice, and one deleted since does not come back.
    expect(custom.delete('bom-1')).toBe(true);
    store.close();
    const again = new RunStore(data);
    const second = importSavedFiles(again, new CustomStore(again));
    expect([second.imported, second.alreadyThere, second.problems.length]).toEqual([0, 0, 5]);
    expect(new CustomStore(again).list()).toEqual([saved('plain-2', 3)]);
    expect(readdirSync(dir).sort()).toEqual(before);
    again.close();
  });

  it("imports the old default layout's folder (runs/custom-experiments) when the newer one was never made, once", () => {
    const data = tempDir();
    const legacy = join(data, LEGACY_CUSTOM_DIR);
    mkdirSync(legacy, { recursive: true });
    writeFileSync(join(legacy, 'old-1.json'), JSON.stringify(saved('old-1')));
    writeFileSync(join(legacy, 'bad-1.json'), '{}');
    const store = new RunStore(data);
    const first = importSavedFiles(store, new CustomStore(store));
    expect(first).toEqual({ imported: 1, alreadyThere: 0, problems: [{ file: 'runs/custom-experiments/bad-1.json', error: expect.stringMatching(/^not a saved experiment: /) }] });
    expect(new CustomStore(store).list()).toEqual([saved('old-1')]);
    expect(readdirSync(legacy).sort()).toEqual(['bad-1.json', 'old-1.json']);
    new CustomStore(store).delete('old-1');
    expect(importSavedFiles(store, new CustomStore(store)).imported).toBe(0);
    expect(new CustomStore(store).list()).toEqual([]);
    store.close();
  });

  it('reads only custom-experiments when it exists: the old store had copied the older folder into it', () => {
    const data = tempDir();
    mkdirSync(join(data, LEGACY_CUSTOM_DIR), { recursive: true });
    mkdirSync(join(data, CUSTOM_DIR));
    writeFileSync(join(data, LEGACY_CUSTOM_DIR, 'deleted-1.json'), JSON.stringify(saved('deleted-1')));
    writeFileSync(join(data, CUSTOM_DIR, 'kept-1.json'), JSON.stringify(saved('kept-1')));
    const store = new RunStore(data);
    expect(importSavedFiles(store, new CustomStore(store))).toEqual({ imported: 1, alreadyThere: 0, problems: [] });
    expect(new CustomStore(store).list().map((e) => e.id)).toEqual(['kept-1']);
    store.close();
  });

  it('a custom-experiments that is a file: named, and saving works (the database holds them now)', () => {
    const data = tempDir();
    writeFileSync(join(data, CUSTOM_DIR), 'not a folder');
    const lines: string[] = [];
    const store = new RunStore(data);
    const custom = openCustomStore(store, (line) => lines.push(line));
    expect(lines).toEqual([`memtide: skipped custom-experiments in ${store.dir}: not a directory: not read`]);
    expect(custom.create(body)).toMatchObject({ name: 'Map of 10⁶' });
    expect(custom.list()).toHaveLength(1);
    store.close();
  });

  it('a custom-experiments that links to a folder elsewhere: named, not read', () => {
    const data = tempDir();
    const elsewhere = tempDir();
    writeFileSync(join(elsewhere, 'far-1.json'), JSON.stringify(saved('far-1')));
    symlinkSync(elsewhere, join(data, CUSTOM_DIR));
    const lines: string[] = [];
    const store = new RunStore(data);
    expect(openCustomStore(store, (line) => lines.push(line)).list()).toEqual([]);
    expect(lines).toEqual([`memtide: skipped custom-experiments in ${store.dir}: a symbolic link: not read`]);
    expect(readdirSync(elsewhere)).toEqual(['far-1.json']);
    store.close();
  });
});

// Saved custom experiments read from a data directory anyone may have put things in: a FIFO or a
// link to /dev/zero named like one, a huge file, a file with a byte-order mark, and a
// custom-experiments that is a file. The store starts at once, says what it skipped, and keeps the rest.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, symlinkSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/store-fixtures.js';
import { CUSTOM_DIR, CustomStore, LEGACY_CUSTOM_DIR, MAX_SAVED_FILE_BYTES } from './custom-store.js';

const body = { name: 'Map of 10⁶', runtime: 'node' as const, code: { allocate: 'let foo = new Map();' } };

describe('CustomStore', () => {
  it('skips and names FIFOs, devices and huge files, reads a file with a BOM, and deletes nothing', () => {
    const data = tempDir();
    const dir = join(data, CUSTOM_DIR);
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'fifo-1.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero-1.json'));
    const huge = openSync(join(dir, 'huge-1.json'), 'w');
    ftruncateSync(huge, MAX_SAVED_FILE_BYTES + 1); // sparse: no disk needed
    closeSync(huge);
    const saved = { ...body, id: 'bom-1', createdAt: 1, updatedAt: 2 };
    writeFileSync(join(dir, 'bom-1.json'), `\ufeff${JSON.stringify(saved)}`);
    writeFileSync(join(dir, 'broken-1.json'), '{"name":');

    const store = new CustomStore(data);
    expect(store.list()).toEqual([saved]);
    expect(Object.fromEntries(store.problems.map((p) => [p.file, p.error]))).toEqual({
      'custom-experiments/fifo-1.json': 'a FIFO, not a regular file: not read',
      'custom-experiments/zero-1.json': 'a character device, not a regular file: not read',
      'custom-experiments/huge-1.json': `${MAX_SAVED_FILE_BYTES + 1} bytes, over the ${MAX_SAVED_FILE_BYTES}-byte limit: not read`,
      'custom-experiments/broken-1.json': expect.stringMatching(/^not JSON \(/),
    });
    expect(readdirSync(dir).sort()).toEqual(['bom-1.json', 'broken-1.json', 'fifo-1.json', 'huge-1.json', 'zero-1.json']);
  });

  it('a custom-experiments that is a file: reported, nothing saved, saving says why', () => {
    const data = tempDir();
    writeFileSync(join(data, CUSTOM_DIR), 'not a folder');
    const store = new CustomStore(data);
    expect(store.list()).toEqual([]);
    const why = `${join(data, CUSTOM_DIR)} cannot hold saved experiments (not a directory): move it away or fix its rights, then restart`;
    expect(store.problems).toEqual([{ file: CUSTOM_DIR, error: why }]);
    expect(() => store.create(body)).toThrow(why);
  });

  it("copies the old default layout's saved experiments (runs/custom-experiments) once, leaving them there", () => {
    const data = tempDir();
    const legacy = join(data, LEGACY_CUSTOM_DIR);
    mkdirSync(legacy, { recursive: true });
    const old = { ...body, id: 'old-1', createdAt: 1, updatedAt: 1 };
    writeFileSync(join(legacy, 'old-1.json'), JSON.stringify(old));
    writeFileSync(join(legacy, 'bad-1.json'), '{}');
    const store = new CustomStore(data);
    expect(store.list()).toEqual([old]);
    expect(store.problems.map((p) => p.file)).toEqual(['runs/custom-experiments/bad-1.json']);
    expect(readdirSync(join(data, CUSTOM_DIR))).toEqual(['old-1.json']);
    expect(readdirSync(legacy).sort()).toEqual(['bad-1.json', 'old-1.json']);
    // Deleted here: not copied back at the next start.
    store.delete('old-1');
    expect(new CustomStore(data).list()).toEqual([]);
  });
});

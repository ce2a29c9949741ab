// A file written atomically: temp file, fsync, rename, fsync of the directory. A kill -9 at any
// moment leaves the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Leftovers of a write cut short start with this; a store removes them when it lists. */
export const TEMP_PREFIX = '.tmp-';

export function writeFileAtomic(dir: string, name: string, text: string): void {
  const temp = join(dir, `${TEMP_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, join(dir, name));
  syncDir(dir);
}

/** A rename or an unlink is only durable once the directory entry is on disk. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

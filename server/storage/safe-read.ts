// Reading a file someone else may have put in the data directory: only a regular file, only up
// to a size cap, and never in a way that can block. A FIFO named like a run would block open() or
// read() forever; a symlink to /dev/zero would be read until memory ran out. stat() first (it
// follows links: the target's kind is what counts), then open O_NONBLOCK and check the descriptor
// again, since the file may be swapped between the two.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** The largest run file the old JSON store could have written: a 120 s run at 1 kHz is ~5-10 MB. */
export const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

export type ReadResult = { ok: true; text: string } | { ok: false; error: string };

const kindOf = (s: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string =>
  s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isDirectory() ? 'a directory' : 'not a regular file';

/** The file's text (UTF-8, a leading byte-order mark dropped), or why it was not read. */
export function readRegularFile(path: string, maxBytes = MAX_RUN_FILE_BYTES): ReadResult {
  let fd: number;
  try {
    const before = statSync(path);
    if (!before.isFile()) return { ok: false, error: `${kindOf(before)}, not a regular file: not read` };
    if (before.size > maxBytes) return { ok: false, error: `${before.size} bytes, over the ${maxBytes}-byte limit: not read` };
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, error: `${kindOf(stats)}, not a regular file: not read` };
    // One byte more than allowed: a file that grew past the cap since stat() is caught too.
    const buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return { ok: false, error: `over the ${maxBytes}-byte limit: not read` };
    const text = buffer.toString('utf8', 0, length);
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    closeSync(fd);
  }
}

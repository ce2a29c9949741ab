// Reading a file someone else may have put in the data directory: only a regular file, only up
// to a size cap, and never in a way that can block. A FIFO named like a run would block open() or
// read() forever; a symlink to /dev/zero would be read until memory ran out. stat() first (it
// follows links: the target's kind is what counts), then open O_NONBLOCK and check the descriptor
// again, since the file may be swapped between the two.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { describeZodError } from '../../shared/validation.js';

/** The cap when a caller names none: a file someone may have put here is never read whole past it. */
export const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

export type ReadResult = { ok: true; text: string } | { ok: false; error: string };

const kindOf = (s: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string =>
  s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isDirectory() ? 'a directory' : 'not a regular file';

export interface ReadOptions {
  /**
   * Looks at the first bytes read (up to 64 KiB) before the rest is: an error stops the read there,
   * so a sparse file of holes or a file of zeros under a large cap costs one chunk, not its size.
   */
  head?: (first: Buffer) => string | undefined;
}

const CHUNK = 64 * 1024;

/** The file's text (UTF-8, a leading byte-order mark dropped), or why it was not read. */
export function readRegularFile(path: string, maxBytes = MAX_RUN_FILE_BYTES, options: ReadOptions = {}): ReadResult {
  let fd: number;
  try {
    const before = statSync(path);
    if (!before.isFile()) return { ok: false, error: `${kindOf(before)}, not a regular file: not read` };
    if (before.size > maxBytes) return { ok: false, error: `${before.size} bytes, over the ${maxBytes}-byte limit: not read` };
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  let length = 0;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, error: `${kindOf(stats)}, not a regular file: not read` };
    // One byte more than allowed: a file that grew past the cap since stat() is caught too.
    const size = Math.min(stats.size, maxBytes) + 1;
    if (options.head) {
      // Looked at before the whole file's buffer is even allocated.
      const first = Buffer.allocUnsafe(Math.min(CHUNK, size));
      const wrong = options.head(first.subarray(0, readSync(fd, first, 0, first.length, 0)));
      if (wrong) return { ok: false, error: `${wrong}: not read` };
    }
    const buffer = Buffer.allocUnsafe(size);
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return { ok: false, error: `over the ${maxBytes}-byte limit: not read` };
    // Decoded once, the buffer dropped on return: the file is in memory twice only for this moment
    // (JSON.parse needs one string; a streaming parser would be the way to do without).
    const text = buffer.toString('utf8', 0, length);
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_STRING_TOO_LONG') return { ok: false, error: `${length} bytes, too long for one string in this Node (${message}): not read` };
    return { ok: false, error: message };
  } finally {
    closeSync(fd);
  }
}

/** A file's JSON checked by a schema (the old run files, saved experiments): each way it fails, in words; `what` names the shape ("a run record"). */
export function readJsonFile<T>(path: string, maxBytes: number, schema: z.ZodType<T>, what: string, options: ReadOptions = {}): { ok: true; value: T } | { ok: false; error: string } {
  const read = readRegularFile(path, maxBytes, options);
  if (!read.ok) return read;
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (error) {
    return { ok: false, error: `not JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: `not ${what}: ${describeZodError(parsed.error)}` };
}

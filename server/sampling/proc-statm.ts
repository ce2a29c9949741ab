// RSS from /proc/PID/statm, read through a kept-open fd at position 0: the cheapest way to watch
// another process's memory on Linux (~3 µs a read, against ~320 µs for a pidusage call).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

export const hasProc = (): boolean => process.platform === 'linux' && existsSync('/proc/self/statm');

let cachedPageSize: number | undefined;
/** statm counts pages; ask the system once for their size. */
export function pageSize(): number {
  if (cachedPageSize === undefined) {
    try {
      cachedPageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      cachedPageSize = 4096;
    }
  }
  return cachedPageSize;
}

/** statm is "size resident shared text lib data dt", all in pages: RSS in bytes, parsed straight
 * from the read buffer without building a string (the hot path at 1 kHz). */
export function parseStatmRssBytes(buf: Uint8Array, length: number, bytesPerPage: number): number {
  let i = 0;
  while (i < length && buf[i] !== 0x20) i++; // skip "size"
  i++;
  let pages = 0;
  let digits = 0;
  for (; i < length; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    pages = pages * 10 + (c - 0x30);
    digits++;
  }
  if (digits === 0) throw new Error('unexpected statm text');
  return pages * bytesPerPage;
}

export interface StatmReader {
  /** RSS in bytes, or undefined once the process is gone. */
  read(): number | undefined;
  close(): void;
}

export function openStatm(pid: number, bytesPerPage = pageSize()): StatmReader {
  const fd = openSync(`/proc/${pid}/statm`, 'r');
  const buf = new Uint8Array(256);
  let open = true;
  return {
    read() {
      if (!open) return undefined;
      try {
        const n = readSync(fd, buf, 0, buf.length, 0);
        return n > 0 ? parseStatmRssBytes(buf, n, bytesPerPage) : undefined;
      } catch {
        return undefined; // ESRCH once the process has exited
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

// What went wrong with the database, in words a user can act on. SQLite's own codes decide the
// kind: a full disk is waited out (the run is kept in memory, unsaved-runs.ts), a damaged file is
// never touched again by memtide (the message says how to recover it), the rest is reported as is.

export type StoreErrorKind = 'full' | 'damaged' | 'read-only' | 'busy' | 'io' | 'setup';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** How to get the runs out of a damaged file (the sqlite3 shell's .recover), and how to go on without it. */
export const recoveryAdvice = (file: string): string =>
  `memtide has not changed or deleted it. To recover the runs: stop every memtide using it, keep a copy ` +
  `(cp ${file} ${file}.bak), then run  sqlite3 ${file} .recover | sqlite3 ${file}.recovered  and move ${file}.recovered ` +
  `to ${file}. To start afresh instead, move the file away, or set MEMTIDE_DATA to another directory.`;

function kindOf(code: string): StoreErrorKind {
  if (code === 'SQLITE_FULL') return 'full';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_')) return 'damaged';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  return 'io';
}

/** Any error thrown while using the database, as a StoreError naming the file and what to do. */
export function storeError(error: unknown, file: string, doing: string): StoreError {
  if (error instanceof StoreError) return error;
  const { code = '', message = String(error) } = error as { code?: string; message?: string };
  // ENOSPC can also come from outside SQLite (the directory's own files).
  const kind = code === 'ENOSPC' ? 'full' : code.startsWith('SQLITE_') ? kindOf(code) : 'io';
  const what = code ? `${code}: ${message}` : message;
  switch (kind) {
    case 'full':
      return new StoreError(kind, `could not ${doing}: the disk holding ${file} is full (${what})`);
    case 'damaged':
      return new StoreError(kind, `could not ${doing}: ${file} is damaged or not a memtide database (${what}). ${recoveryAdvice(file)}`);
    case 'read-only':
      return new StoreError(kind, `could not ${doing}: ${file} cannot be written (${what}); make it and its directory writable`);
    case 'busy':
      return new StoreError(kind, `could not ${doing}: ${file} stayed locked by another process (${what})`);
    default:
      return new StoreError(kind, `could not ${doing} in ${file}: ${what}`);
  }
}

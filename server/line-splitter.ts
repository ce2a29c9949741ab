// Splits a byte stream into lines without ever buffering more than maxBytes of one line, so a
// worker that writes without newlines cannot grow the server's memory (readline buffers it all).

export interface LineSplitter {
  /** Feeds a chunk; returns false once a line has overflowed (the rest should be dropped). */
  push(chunk: string): boolean;
}

export function createLineSplitter(maxBytes: number, onLine: (line: string) => void, onOverflow: (bytes: number) => void): LineSplitter {
  let partial = '';
  let overflowed = false;
  return {
    push(chunk) {
      if (overflowed) return false;
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        const line = partial + chunk.slice(start, nl);
        partial = '';
        start = nl + 1;
        if (line.length > maxBytes) {
          overflowed = true;
          onOverflow(line.length);
          return false;
        }
        onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      partial += chunk.slice(start);
      if (partial.length > maxBytes) {
        overflowed = true;
        onOverflow(partial.length);
        partial = '';
        return false;
      }
      return true;
    },
  };
}

// The worker's side of its two pipes: reports as JSON lines written synchronously to fd 3, so a
// report goes out even while the event loop is blocked inside an allocation loop; and, after each
// phase end, one byte on stdin from the server, which reads /proc/PID/smaps while the worker waits.
import { readSync, writeSync } from 'node:fs';
import type { WorkerMessage } from '../../shared/protocol/worker.js';

export const REPORT_FD = 3;

export { now } from '../../shared/units.js';

export function report(message: WorkerMessage): void {
  const line = Buffer.from(JSON.stringify(message) + '\n');
  let offset = 0;
  while (offset < line.length) {
    try {
      offset += writeSync(REPORT_FD, line, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const ackByte = new Uint8Array(1);
/** Blocks until the server has read this instant's memory breakdown. */
export function waitForAck(): void {
  for (;;) {
    try {
      if (readSync(0, ackByte, 0, 1, null) === 0) throw new Error('the server closed the acknowledgement pipe');
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

// The worker's side of the report pipe: JSON lines written synchronously to fd 3, so a report
// goes out even while the event loop is blocked inside an allocation loop.
import { writeSync } from 'node:fs';
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

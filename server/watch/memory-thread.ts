// The breakdown reader of one watch, in a worker_thread of its own: smaps reads of a big process
// take tens of ms and must not block the server's event loop, nor share the 1 kHz statm thread
// (measured: smaps on the statm thread dropped it to 330-415 readings/s). Runs compiled
// (dist/server/watch/memory-thread.js), like sampling/sampler-thread.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { createMemoryLoop, type MemoryLoopOptions } from './smaps-adaptive.js';

export type MemoryThreadData = Omit<MemoryLoopOptions, 'post'>;
/** Parent → thread: read now (answered with the same tag), or stop. */
export type MemoryThreadRequest = { type: 'read'; tag: number } | { type: 'stop' };

if (parentPort) {
  const port = parentPort;
  const loop = createMemoryLoop({ ...(workerData as MemoryThreadData), post: (event) => port.postMessage(event) });
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const delay = loop.tick();
    if (delay === undefined) port.close();
    else timer = setTimeout(tick, delay);
  };
  port.on('message', (request: MemoryThreadRequest) => {
    if (request.type === 'read') loop.readNow(request.tag);
    else {
      clearTimeout(timer);
      port.close();
    }
  });
  tick();
}

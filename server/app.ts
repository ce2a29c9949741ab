// Wires the run registry, the HTTP API and the WebSocket hub into one server: the hub is where
// runs send their events (run-events.ts), the HTTP API where they are asked for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp } from './http-api.js';
import { availableCatalog } from './machine.js';
import { checkMemoryCap } from './run-limits.js';
import { RunRegistry } from './run-registry.js';
import { bindProblem, checkAccess } from './security.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { followOtherProcesses } from './storage/change-feed.js';
import { openRunStore } from './storage/legacy-import.js';
import { describeHolder, ProcessLock } from './storage/process-locks.js';
import { RunSlot } from './run-slot.js';
import { DEFAULT_DATA_DIR } from './storage/run-store.js';
import { VERSION } from './version.js';
import type { SpawnWorker } from './worker-process.js';
import { createWsHub, type WsHub } from './ws-hub.js';

export interface AppOptions {
  host?: string;
  port?: number;
  sampleHz?: number;
  /** Required on every call when set; required to start at all when host is not loopback. */
  token?: string;
  allowedHosts?: string[];
  /** The data directory: the run database and the old JSON store it imports (default ./.memtide). */
  dataDir?: string;
  memoryCapMiB?: number;
  /** The wall-clock cap (s) of every run; default DEFAULT_WALL_CLOCK_S (shared/limits.ts). */
  wallClockCapS?: number;
  maxQueue?: number;
  maxSockets?: number;
  heartbeatMs?: number;
  spawn?: SpawnWorker;
  log?(line: string): void;
  /** How often runs the database could not take are retried (ms). */
  retryMs?: number;
}

export interface RunningApp {
  url: string;
  server: Server;
  registry: RunRegistry;
  hub: WsHub;
  close(): Promise<void>;
}

export async function startApp(options: AppOptions = {}): Promise<RunningApp> {
  const { host = '127.0.0.1', port = 5177, token, allowedHosts, log = console.warn } = options;
  const problem = bindProblem(host, token);
  if (problem) throw new Error(problem);
  const cap = options.memoryCapMiB === undefined ? undefined : checkMemoryCap(options.memoryCapMiB, 'MEMTIDE_MEMORY_CAP_MIB');
  if (cap && !cap.ok) throw new Error(cap.error);
  const security = { token, allowedHosts };
  const store = openRunStore(options.dataDir ?? DEFAULT_DATA_DIR, log);
  // One server per data directory: a second would run its own queue beside the first one's.
  const serverLock = new ProcessLock(store, 'server');
  if (!serverLock.take('a memtide server (starting)')) {
    const holder = serverLock.holder();
    store.close();
    throw new Error(`${holder ? describeHolder(holder) : 'another memtide server'} already uses the data directory ${store.dir}: open that one, stop it, or set MEMTIDE_DATA to another directory`);
  }
  let url = '';

  const server = createServer();
  // hello() runs only on a connection, after listen: registry exists by then. It carries the
  // live runs and the first page of the history only: the rest is paged (GET /api/runs).
  const hello = (): ServerMessage => {
    const first = registry.page({});
    return {
      type: 'hello', version: VERSION, catalog: availableCatalog(), runs: registry.liveRuns(), unsaved: registry.unsaved.infos(),
      ...(first.ok ? { history: first.page } : { history: { runs: [], total: 0 }, historyError: first.error }),
    };
  };
  const hub = createWsHub(server, hello, {
    verify: (req) => checkAccess(req, security),
    maxSockets: options.maxSockets,
    heartbeatMs: options.heartbeatMs,
  });
  const slot = new RunSlot(new ProcessLock(store, 'run'), () => `the memtide server at ${url}`, log);
  const registry = new RunRegistry({ events: hub, store, log, maxQueue: options.maxQueue, spawn: options.spawn, retryMs: options.retryMs, slot });
  const others = followOtherProcesses(store, registry.reader, hub, log);
  const defaults = { sampleHz: options.sampleHz, memoryCapMiB: options.memoryCapMiB, wallClockCapS: options.wallClockCapS };
  server.on('request', createHttpApp(registry, defaults, security));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    others.stop();
    await registry.closeStore();
    serverLock.release();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${shownHost}:${address.port}`;
  serverLock.announce(`the memtide server at ${url}`);
  return {
    url,
    server,
    registry,
    hub,
    async close() {
      await registry.shutdown();
      others.stop();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.closeStore();
      serverLock.release();
    },
  };
}

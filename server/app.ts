// Wires the run registry, the HTTP API and the WebSocket hub into one server: the hub is where
// runs send their events (run-events.ts), the HTTP API where they are asked for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codePolicy } from './code-policy.js';
import { createHttpApp } from './http-api.js';
import { availableCatalog, machine, probeMachine } from './machine.js';
import { matrixRoutes } from './matrix-api.js';
import { MatrixBook } from './matrix-book.js';
import type { RunEvents } from './run-events.js';
import { checkMemoryCap } from './run-limits.js';
import { RunRegistry } from './run-registry.js';
import { DEFAULT_SAMPLE_HZ } from './run-request.js';
import { bindProblem, checkAccess } from './security.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import type { RunInfo } from '../shared/run-record.js';
import { followOtherProcesses } from './storage/change-feed.js';
import { openCustomStore } from './storage/custom-import.js';
import type { CustomStore } from './storage/custom-store.js';
import { openRunStore } from './storage/legacy-import.js';
import { describeHolder, ProcessLock } from './storage/process-locks.js';
import { RunSlot } from './run-slot.js';
import { DEFAULT_DATA_DIR } from './storage/run-store.js';
import { VERSION } from './version.js';
import type { SpawnWorker } from './worker-process.js';
import { watchApi } from './watch/watch-api.js';
import { probePolicy, WatchRegistry } from './watch/watch-registry.js';
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
  /** false: no custom runs (MEMTIDE_ALLOW_CODE=0; code-policy.ts). */
  allowCode?: boolean;
  /** The workers' CPU priority (MEMTIDE_WORKER_NICE; worker-priority.ts). */
  workerNice?: number;
  maxQueue?: number;
  maxSockets?: number;
  heartbeatMs?: number;
  spawn?: SpawnWorker;
  log?(line: string): void;
  /** How often runs the database could not take are retried (ms). */
  retryMs?: number;
  /** MEMTIDE_ALLOW_PROBES=1: probes into watched processes even when listening beyond loopback. */
  allowProbes?: boolean;
  /** A probe's time limit (ms), and gdb's grace after SIGINT; tests shorten them. */
  probeTimeoutMs?: number;
  probeInterruptGraceMs?: number;
  gdbPath?: string;
}

export interface RunningApp {
  url: string;
  server: Server;
  registry: RunRegistry;
  watches: WatchRegistry;
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
  let customStore: CustomStore;
  try {
    customStore = openCustomStore(store, log);
  } catch (error) {
    serverLock.release();
    store.close();
    throw error;
  }
  let url = '';

  const server = createServer();
  // hello() runs only on a connection, after listen: registry, matrices and watches exist by then.
  // It carries the live runs and the first page of the history only: the rest is paged (GET /api/runs).
  const hello = (): ServerMessage => {
    const first = registry.page({});
    return {
      type: 'hello', version: VERSION, catalog: availableCatalog(), runs: registry.liveRuns(), unsaved: registry.unsaved.infos(),
      ...(first.ok ? { history: first.page } : { history: { runs: [], total: 0 }, historyError: first.error }),
      matrices: matrices.list(), watches: watches.list(),
    };
  };
  const hub = createWsHub(server, hello, {
    verify: (req) => checkAccess(req, security),
    maxSockets: options.maxSockets,
    heartbeatMs: options.heartbeatMs,
  });
  // Runs tell the hub; a run of a matrix also updates its matrix's table for every client.
  const events: RunEvents = {
    send(message) {
      hub.send(message);
      const update = matrices.eventFor(message);
      if (update) hub.send(update);
    },
    samples: (runId, packed) => hub.samples(runId, packed),
    watching: () => hub.watching(),
  };
  const slot = new RunSlot(new ProcessLock(store, 'run'), () => `the memtide server at ${url}`, log);
  // Watches going on are listed with the runs (a page, the plain list) until they are stored.
  const registry = new RunRegistry({ events, store, log, maxQueue: options.maxQueue, spawn: options.spawn, workerNice: options.workerNice, retryMs: options.retryMs, slot, alsoLive: (): RunInfo[] => watches.list() });
  const matrices = new MatrixBook(registry, machine);
  const others = followOtherProcesses(store, registry.reader, events, log);
  const watches = new WatchRegistry({
    events: hub,
    storeEnded: (record) => registry.storeEnded(record),
    findEnded: (id) => registry.get(id),
    sampleHz: options.sampleHz ?? DEFAULT_SAMPLE_HZ,
    probePolicy: probePolicy(host, options.allowProbes ?? false),
    probeTimeoutMs: options.probeTimeoutMs,
    interruptGraceMs: options.probeInterruptGraceMs,
    gdbPath: options.gdbPath,
    log,
  });
  const defaults = { sampleHz: options.sampleHz, memoryCapMiB: options.memoryCapMiB, wallClockCapS: options.wallClockCapS };
  const custom = { store: customStore, policy: codePolicy({ allowCode: options.allowCode, host, token }) };
  server.on('request', createHttpApp(registry, defaults, security, [matrixRoutes(matrices, defaults, (m) => hub.send(m)), watchApi(watches)], custom));
  try {
    await probeMachine(); // cached for every hello, request and run after this
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
    watches,
    hub,
    async close() {
      await watches.shutdown();
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

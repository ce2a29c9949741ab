// Wires the run registry, the HTTP API and the WebSocket hub into one server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp } from './http-api.js';
import { availableCatalog } from './experiments.js';
import { RunRegistry } from './run-registry.js';
import { VERSION } from './version.js';
import { createWsHub, type WsHub } from './ws-hub.js';

export interface AppOptions {
  host?: string;
  port?: number;
  sampleHz?: number;
}

export interface RunningApp {
  url: string;
  server: Server;
  registry: RunRegistry;
  hub: WsHub;
  close(): Promise<void>;
}

export async function startApp({ host = '127.0.0.1', port = 5177, sampleHz }: AppOptions = {}): Promise<RunningApp> {
  const server = createServer();
  // hello() runs only on a connection, after listen: registry exists by then.
  const hub = createWsHub(server, () => ({ type: 'hello', version: VERSION, catalog: availableCatalog(), runs: registry.list() }));
  const registry = new RunRegistry({ sampleHz, send: hub.broadcast });
  server.on('request', createHttpApp(registry));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    registry,
    hub,
    async close() {
      registry.killAll();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

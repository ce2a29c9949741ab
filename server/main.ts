// `npm start`: the dashboard and the API on one port (127.0.0.1:5177 unless HOST/PORT say otherwise).
import { startApp } from './app.js';
import { configFromEnv } from './config.js';

const config = configFromEnv(process.env);
if (!config.ok) {
  console.error(`memtide: ${config.error}`);
  process.exit(2);
}

const app = await startApp(config.options).catch((error: Error) => {
  console.error(`memtide: could not start: ${error.message}`);
  process.exit(1);
});
console.log(`memtide: ${app.url}`);

// However the process ends, its worker goes with it (kill is a synchronous SIGKILL).
process.on('exit', () => app.registry.killNow());
process.on('uncaughtException', (error) => {
  console.error('memtide: crashed:', error);
  process.exit(70);
});

let closing = false;
// SIGHUP too: a closed terminal must not leave workers behind (they run in their own process group).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (closing) process.exit(130); // a second signal: stop waiting ('exit' still kills the worker)
    closing = true;
    void app.close().then(() => process.exit(0));
  });
}

// `npm start`: the dashboard and the API on one local port.
import { startApp } from './app.js';

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 5177;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`memtide: PORT must be an integer from 0 to 65535, got "${value}"`);
    process.exit(2);
  }
  return port;
}

const app = await startApp({ host: process.env.HOST || '127.0.0.1', port: portFromEnv(process.env.PORT) }).catch((error: Error) => {
  console.error(`memtide: could not start: ${error.message}`);
  process.exit(1);
});
console.log(`memtide: ${app.url}`);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void app.close().then(() => process.exit(0));
  });
}

// The server for the benchmarks, in its own process so clients never share its event loop. Its
// settings come from the environment as `npm start`'s do (MEMTIDE_SAMPLE_HZ, MEMTIDE_WORKER_NICE…),
// on a free loopback port.
import { startApp } from '../server/app.js';
import { configFromEnv } from '../server/config.js';

const config = configFromEnv(process.env);
if (!config.ok) throw new Error(config.error);
// MEMTIDE_DATA: each bench server's own directory (lib.ts startServerProcess).
const app = await startApp({ ...config.options, host: '127.0.0.1', port: 0, dataDir: process.env.MEMTIDE_DATA });
console.log(JSON.stringify({ url: app.url }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

// The server for the benchmarks, in its own process so clients never share its event loop.
import { startApp } from '../server/app.js';

const sampleHz = process.env.MEMTIDE_SAMPLE_HZ ? Number(process.env.MEMTIDE_SAMPLE_HZ) : undefined;
// MEMTIDE_DATA: each bench server's own directory (lib.ts startServerProcess).
const app = await startApp({ host: '127.0.0.1', port: 0, sampleHz, dataDir: process.env.MEMTIDE_DATA });
console.log(JSON.stringify({ url: app.url }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

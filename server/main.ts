// `npm start`: the dashboard and the API on one port (127.0.0.1:5177 unless HOST/PORT say otherwise).
import { startApp } from './app.js';
import { configFromEnv } from './config.js';
import { exitOnSignals } from './exit-signals.js';
import { defaultMethod } from './sampling/rss-sampler.js';

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
if (defaultMethod() === 'proc-statm-thread') {
  console.warn('memtide: the native sampler was not built (no C compiler at build time): RSS is sampled on a Node thread, at ~1.6× its CPU. Install gcc and run npm run build.');
}

process.on('uncaughtException', (error) => {
  console.error('memtide: crashed:', error);
  process.exit(70);
});
exitOnSignals({ shutdown: () => app.close(), killNow: () => app.registry.killNow() }, 0);

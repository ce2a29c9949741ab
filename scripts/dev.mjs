// `npm run dev`: the API server (compiled, on MEMTIDE_DEV_API_PORT or 5177) and Vite's dev server
// with hot reload on :5173, which proxies /api and /ws to it (see vite.config.ts).
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const apiPort = process.env.MEMTIDE_DEV_API_PORT ?? '5177';
const children = [
  spawn(process.execPath, [join(root, 'dist/server/main.js')], { stdio: 'inherit', env: { ...process.env, PORT: apiPort } }),
  spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js')], { stdio: 'inherit', cwd: root }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => { stop(); process.exitCode = code ?? 0; });

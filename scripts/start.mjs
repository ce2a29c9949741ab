// `npm start`: build what changed (scripts/ensure-build.mjs), then run the server in this very
// process, so the PID npm starts is the server's. package.json runs it with `exec`, so no shell
// stands between npm and this process: SIGTERM or SIGINT to `npm start` (npm forwards both, see
// @npmcli/run-script's signal-manager.js) reaches the server, which stops its workers and exits,
// and npm exits with it. If npm itself dies without forwarding (kill -9), this process is
// reparented: it notices within a second and shuts down the same way instead of running on.
import { ensureBuild } from './ensure-build.mjs';

ensureBuild();
await import('../dist/server/main.js');

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();

// Workers always run compiled and the browser test needs the built client: build what is stale.
// Test servers store their runs under one temporary root per `npm test`, removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const result = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed: see the output above');
  const root = mkdtempSync(join(tmpdir(), 'memtide-tests-'));
  process.env.MEMTIDE_TEST_DATA_ROOT = root; // inherited by the test workers
  return () => rmSync(root, { recursive: true, force: true });
}

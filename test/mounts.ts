// Real file systems for the store's tests: a tmpfs that really fills up, or one mounted read-only.
// Mounting needs root (and a kernel that lets this container mount): where it is refused the
// tests that need it say so and are skipped, never faked.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Mounts a tmpfs at dir with these options ("size=4m", "ro"); false when this machine does not let us. */
export function mountTmpfs(dir: string, options: string): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}

export function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
}

export const cannotMount = (what: string): void =>
  console.warn(`\n!! ${what}: SKIPPED — mounting a tmpfs needs root and a kernel that allows it here\n`);

/** Writes zeros into dir/filler until the file system says it is full (rm dir/filler frees it). */
export function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

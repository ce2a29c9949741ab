// A lock file that is not a regular file (a FIFO named server.lock) is refused by name at once,
// instead of SQLite blocking in open() and hanging the start. Run in a child process on the built
// code: before this check the child hung, and a hang in a native call cannot be stopped in-process.
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/store-fixtures.js';

const built = (path: string) => pathToFileURL(resolve('dist/server/storage', path)).href;

describe('ProcessLock', () => {
  it('refuses a FIFO named server.lock, naming it, instead of hanging', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'server.lock')]);
    const script = `
      import { RunStore } from ${JSON.stringify(built('run-store.js'))};
      import { ProcessLock } from ${JSON.stringify(built('process-locks.js'))};
      const store = new RunStore(${JSON.stringify(dir)});
      try { new ProcessLock(store, 'server').take('test'); console.log('taken'); }
      catch (error) { console.log(error.name + ' ' + error.kind + ': ' + error.message); }
      store.close();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.signal).toBeNull(); // killed by the timeout: it hung
    expect(child.stdout.trim()).toBe(`StoreError setup: the lock file ${join(dir, 'server.lock')} is a FIFO, not a regular file: memtide will not open it; move it away (memtide makes it again)`);
  });

  it('takes a lock when the file is a regular file or absent', () => {
    const dir = tempDir();
    const script = `
      import { RunStore } from ${JSON.stringify(built('run-store.js'))};
      import { ProcessLock } from ${JSON.stringify(built('process-locks.js'))};
      const store = new RunStore(${JSON.stringify(dir)});
      const lock = new ProcessLock(store, 'run');
      console.log(lock.take('test'), lock.take('again'));
      lock.release();
      console.log(new ProcessLock(store, 'run').take('after'));
      store.close();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.stdout.trim().split('\n')).toEqual(['true true', 'true']);
  });
});

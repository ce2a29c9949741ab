// What a probe does to the process it runs in, said before it runs: the CLI prints it, and the
// dashboard's confirmation shows it. One text, so both say the same.
import type { ProbeKind, WatchTarget } from './watch-record.js';

export function probeNotice(kind: ProbeKind, target: Pick<WatchTarget, 'pid' | 'runtime'>, timeoutMs: number): string {
  const limit = `limit ${timeoutMs / 1000} s`;
  if (kind === 'gc' && target.runtime === 'node') {
    return `gc: opening pid ${target.pid}'s inspector with SIGUSR1 (127.0.0.1 only, closed again at once) to run a full GC; Node prints "Debugger listening…" on its stderr (${limit})`;
  }
  const call = kind === 'gc' ? 'runs gc.collect() in it' : 'calls malloc_trim(0) in it';
  return `${kind}: gdb attaches to pid ${target.pid} and ${call}; the process is stopped while gdb is attached (~0.1-0.5 s) and could deadlock if one of its threads holds the malloc lock (${limit}, then gdb is interrupted and detaches)`;
}

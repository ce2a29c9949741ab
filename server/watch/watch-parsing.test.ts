// The pure parts of watching: /proc parsers, detection rules, the adaptive rate, gdb's answers.
import { describe, expect, it } from 'vitest';
import { MiB } from '../../shared/units.js';
import { configFromEnv } from '../config.js';
import { locateMemoryCgroup, parseLimit, parseMemoryStat, parseMountinfo, parseProcCgroup } from './cgroup-memory.js';
import { detectFrom, exportedNames, mappedFiles, trimRefusal } from './detect-runtime.js';
import { parseGcMethod, parseResultLine, parseTrimAnswer, pythonGcCommands } from './gdb-commands.js';
import { inspectPortFromCommandLine, parseListeners } from './inspector-probe.js';
import { descendsFrom, parseProcStat, parseProcStatus, uidRefusal } from './process-identity.js';
import { ARENA_HEAP_BYTES, classifyMappings, parseSmapsMappings, parseSyscallStackPointer } from './smaps-breakdown.js';
import { nextInterval } from './smaps-adaptive.js';
import { probePolicy } from './watch-registry.js';

describe('process identity', () => {
  it('parses /proc/PID/stat after the last parenthesis', () => {
    const text = '4242 (we ird) (name) S 17 4242 4242 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 3 0 987654 1000 200 18446744073709551615';
    expect(parseProcStat(text)).toEqual({ pid: 4242, comm: 'we ird) (name', state: 'S', ppid: 17, flags: 4194560, starttime: 987654 });
  });

  it('parses uids, tgid and tracer from status', () => {
    expect(parseProcStatus('Name:\tx\nTgid:\t10\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\n')).toEqual({ uids: [1000, 1000, 1000, 1000], tgid: 10, tracerPid: 0 });
  });

  it('follows parents to find descendants', () => {
    const parents = new Map([[30, 20], [20, 10], [10, 1], [40, 1]]);
    expect(descendsFrom(30, 10, (p) => parents.get(p))).toBe(true);
    expect(descendsFrom(40, 10, (p) => parents.get(p))).toBe(false);
  });

  it('refuses another user\'s process unless root, and a setuid mix', () => {
    const status = (uids: number[]) => ({ uids, tgid: 5, tracerPid: 0 });
    expect(uidRefusal(5, status([1000, 1000, 1000, 1000]), { pid: 1, uid: 1000 })).toBeUndefined();
    expect(uidRefusal(5, status([1000, 0, 0, 0]), { pid: 1, uid: 1000 })?.reason).toBe('pid: 5 runs with uids 1000/0/0 (it changed user): only root may watch it');
    expect(uidRefusal(5, status([33, 33, 33, 33]), { pid: 1, uid: 1000 })?.reason).toBe("pid: 5 belongs to uid 33, and memtide runs as uid 1000: only root may watch another user's process");
    expect(uidRefusal(5, status([33, 33, 33, 33]), { pid: 1, uid: 0 })).toBeUndefined();
  });
});

describe('runtime and allocator detection', () => {
  const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
  it.each([
    ['Debian python3.11 (libpython built in)', '/usr/bin/python3.11', [libc], new Set(['Py_BytesMain']), { runtime: 'python', runtimeVersion: '3.11', allocator: 'glibc', allocatorLibrary: 'libc.so.6' }],
    ['pyenv python with libpython', '/root/.pyenv/versions/3.12.1/bin/python3.12', ['/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0', libc], new Set<string>(), { runtime: 'python', runtimeVersion: '3.12', allocator: 'glibc' }],
    ['a renamed interpreter, told by its symbols', '/opt/app/server', [libc], new Set(['_PyRuntime']), { runtime: 'python', allocator: 'glibc' }],
    ['node under jemalloc', '/usr/bin/node', ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', libc], new Set(['node_module_register']), { runtime: 'node', allocator: 'jemalloc', allocatorLibrary: 'libjemalloc.so.2' }],
    ['a binary with jemalloc linked in', '/usr/bin/redis-server', [libc], new Set(['mallctl']), { runtime: 'other', allocator: 'jemalloc', allocatorLibrary: 'redis-server (linked in)' }],
    ['musl', '/bin/busybox', ['/lib/ld-musl-x86_64.so.1'], new Set<string>(), { runtime: 'other', allocator: 'musl' }],
    ['a static binary', '/usr/local/bin/static', [], undefined, { runtime: 'other', allocator: 'unknown' }],
  ] as [string, string, string[], Set<string> | undefined, object][])('%s', (_name, exe, files, symbols, expected) => {
    expect(detectFrom(exe, files, symbols)).toMatchObject(expected);
  });

  it('lists mapped files once, without " (deleted)"', () => {
    const maps = '55d0-55d1 r--p 00000000 08:01 12 /usr/bin/python3.11\n55d1-55d2 r-xp 00001000 08:01 12 /usr/bin/python3.11\n7f00-7f01 rw-p 00000000 00:00 0 \n7f02-7f03 r--p 00000000 08:01 13 /tmp/x.so (deleted)\n7ffc-7ffd rw-p 00000000 00:00 0 [stack]\n';
    expect(mappedFiles(maps)).toEqual(['/usr/bin/python3.11', '/tmp/x.so']);
  });

  it('reads the exported names of a real executable (this node)', async () => {
    expect(await exportedNames(process.execPath, ['node_module_register', 'no_such_name_here'])).toEqual(new Set(['node_module_register']));
    expect(await exportedNames(new URL(import.meta.url).pathname, ['x'])).toBeUndefined();
  });

  it('says why trim would not help', () => {
    expect(trimRefusal(7, { runtime: 'other', allocator: 'glibc' })).toBeUndefined();
    expect(trimRefusal(7, { runtime: 'other', allocator: 'tcmalloc', allocatorLibrary: 'libtcmalloc.so.4' })).toBe("trim: pid 7 allocates with tcmalloc (libtcmalloc.so.4), not glibc's malloc: malloc_trim(0) would not return its memory");
    expect(trimRefusal(7, { runtime: 'other', allocator: 'musl' })).toBe("trim: pid 7 uses musl's malloc, which has no malloc_trim");
    expect(trimRefusal(7, undefined)).toMatch(/cannot be read/);
  });
});

describe('cgroup memory', () => {
  const mountinfo = [
    '30 23 0:26 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw',
    '35 30 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
    '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
  ].join('\n');
  it('takes the hierarchy that has the memory controller (hybrid: v1)', () => {
    const lines = parseProcCgroup('4:memory:/process_api/abc\n0::/\n');
    expect(locateMemoryCgroup(lines, parseMountinfo(mountinfo), (p) => p.endsWith('memory.usage_in_bytes'))).toEqual({ version: 1, dir: '/sys/fs/cgroup/memory/process_api/abc' });
  });
  it('v2, with the mount root stripped (inside a container)', () => {
    const lines = parseProcCgroup('0::/kubepods/pod1/c1\n');
    const mounts = parseMountinfo('40 30 0:28 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
    expect(locateMemoryCgroup(lines, mounts, () => true)).toEqual({ version: 2, dir: '/sys/fs/cgroup/c1' });
    expect(locateMemoryCgroup(parseProcCgroup('0::/\n'), mounts, () => false)).toBeUndefined();
  });
  it('reads limits and stat lines', () => {
    expect(parseLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseLimit('max\n')).toBeUndefined();
    expect(parseLimit('536870912\n')).toBe(536870912);
    expect(parseMemoryStat('anon 1024\nfile 2048\n').get('file')).toBe(2048);
  });
});

describe('the smaps breakdown', () => {
  const hex = (n: number) => n.toString(16);
  const entry = (start: number, end: number, perms: string, path: string, rssKb: number) =>
    `${hex(start)}-${hex(end)} ${perms} 00000000 00:00 0 ${path}\nSize: ${(end - start) / 1024} kB\nRss: ${rssKb} kB\nPss: ${rssKb} kB\nVmFlags: rd wr mr mw me ac\n`;
  const arena = 0x7f0000000000; // a multiple of 64 MiB
  const smaps = [
    entry(0x555500000000, 0x555500010000, 'r--p', '/usr/bin/python3.11', 40),
    entry(0x555600000000, 0x555610000000, 'rw-p', '[heap]', 200_000),
    entry(arena, arena + 8 * MiB, 'rw-p', '', 5000),
    entry(arena + 8 * MiB, arena + ARENA_HEAP_BYTES, '---p', '', 0),
    entry(arena + ARENA_HEAP_BYTES + 4096, arena + ARENA_HEAP_BYTES + 4096 + 8 * MiB, 'rw-p', '', 3000), // not aligned: an mmap
    entry(0x7f1000000000, 0x7f1000800000, 'rw-p', '', 64), // a thread's stack (see the stack pointer)
    entry(0x7ffc00000000, 0x7ffc00021000, 'rw-p', '[stack]', 132),
    entry(0x7ffc10000000, 0x7ffc10002000, 'r-xp', '[vdso]', 8),
  ].join('');

  it('sums Rss per kind: brk heap, arena heaps, stacks, mmaps, files, other', () => {
    expect(classifyMappings(parseSmapsMappings(smaps), [0x7f1000700000])).toEqual({
      brkHeap: 200_000 * 1024, arenaHeaps: 5000 * 1024, anonMappings: 3000 * 1024, fileMappings: 40 * 1024,
      stacks: (64 + 132) * 1024, otherMappings: 8 * 1024, mappings: 8,
    });
  });

  it('reads a stack pointer from /proc/PID/task/TID/syscall', () => {
    expect(parseSyscallStackPointer('230 0x1 0x0 0x7ffc8 0x0 0x0 0x0 0x7ffd1234 0x7f00abcd\n')).toBe(0x7ffd1234);
    expect(parseSyscallStackPointer('-1 0x7ffd1234 0x7f00abcd\n')).toBe(0x7ffd1234);
    expect(parseSyscallStackPointer('running\n')).toBeUndefined();
  });

  it('reads at most ~1 % of the time, between 0.5 s and 60 s, by the lower median of the last 5 reads', () => {
    expect(nextInterval([1.6])).toBe(500);
    expect(nextInterval([10.5])).toBe(1050);
    expect(nextInterval([34])).toBe(3400);
    expect(nextInterval([2000])).toBe(60_000);
    // A cold first read, or one slowed by a busy machine, does not count.
    expect(nextInterval([25, 2.3])).toBe(500);
    expect(nextInterval([10, 11, 90, 10.5, 12])).toBe(1100);
    // A process that grew: its reads cost more, and after three of them the interval follows.
    expect(nextInterval([1, 1, 1, 1, 1, 40, 40])).toBe(500);
    expect(nextInterval([1, 1, 1, 1, 1, 40, 40, 40])).toBe(4000);
  });
});

describe("gdb's answers", () => {
  it('reads malloc_trim and RESULT lines, never the exit code', () => {
    expect(parseTrimAnswer('ATTACHED\n$1 = 1\nDONE\n')).toBe('malloc_trim(0) returned 1: memory was released');
    expect(parseTrimAnswer('ATTACHED\n$1 = 0\n')).toBe('malloc_trim(0) returned 0: nothing was released');
    expect(parseTrimAnswer("ATTACHED\n'malloc_trim' has unknown return type; cast the call to its declared return type\n")).toBeUndefined();
    expect(parseResultLine('METHOD direct\nRESULT 400000\n')).toBe(400000);
    expect(parseGcMethod('METHOD pending\nRESULT 0\n')).toBe('pending');
  });

  it('chooses the GC path inside gdb on x86-64, and only the pending call elsewhere', () => {
    const x64 = pythonGcCommands('x64').join('\n');
    expect(x64).toMatch(/^if \*\(unsigned short\*\)\(\$pc - 2\) == 0x050f && \(\$orig_rax == 0 \|\| .*\$orig_rax == 230/m);
    expect(x64).not.toMatch(/orig_rax == 202/); // futex: maybe waiting for the GIL
    expect(pythonGcCommands('arm64').join('\n')).not.toMatch(/PyGILState_Ensure/);
  });
});

describe('the inspector', () => {
  it('finds listening sockets by the process\'s own inodes', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
      '   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0',
      '   2: 0100007F:2405 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseListeners(table, new Set(['111', '333']))).toEqual([{ port: 9221, inode: '111' }]);
  });
  it('reads --inspect ports from a command line', () => {
    expect(inspectPortFromCommandLine(['node', '--inspect', 'app.js'])).toBe(9229);
    expect(inspectPortFromCommandLine(['node', '--inspect=0.0.0.0:9333', 'app.js'])).toBe(9333);
    expect(inspectPortFromCommandLine(['node', 'app.js', '--inspector'])).toBeUndefined();
  });
});

describe('probe policy', () => {
  it('probes are off beyond loopback unless MEMTIDE_ALLOW_PROBES=1', () => {
    expect(probePolicy('127.0.0.1', false)).toEqual({ allowed: true });
    expect(probePolicy('0.0.0.0', false)).toEqual({ allowed: false, reason: 'the server listens on 0.0.0.0, beyond loopback: probes are off unless MEMTIDE_ALLOW_PROBES=1' });
    expect(probePolicy('0.0.0.0', true)).toEqual({ allowed: true });
    const config = configFromEnv({ MEMTIDE_ALLOW_PROBES: '1' });
    expect(config.ok && config.options.allowProbes).toBe(true);
  });
});

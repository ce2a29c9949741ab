import { describe, expect, it } from 'vitest';
import { ARENA_HEAP_BYTES, classifyMappings, parseMallocLibrary, parseSmapsKinds, parseSmapsMappings, parseSmapsRollup, readMemoryBreakdown } from './proc-smaps.js';

const SMAPS = `55d0c9a2e000-55d0c9a4f000 r--p 00000000 08:01 123  /usr/bin/python3.11
Rss:                 132 kB
Pss:                 132 kB
55d0ca000000-55d0cb000000 rw-p 00000000 00:00 0                          [heap]
Rss:                2048 kB
7f0000a00000-7f0010a00000 rw-p 00000000 00:00 0 
Rss:              250000 kB
7f0010000000-7f0010100000 r-xp 00000000 08:01 456                        /usr/lib/x86_64-linux-gnu/libjemalloc.so.2
Rss:                 400 kB
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                  40 kB
VmFlags: rd wr mr mw me gd ac
`;

describe('smaps parsing', () => {
  it('sums Rss per kind of mapping: [heap], anonymous, files, the rest', () => {
    expect(parseSmapsKinds(SMAPS)).toEqual({ brkHeap: 2048 * 1024, arenaHeaps: 0, anonMappings: 250_000 * 1024, fileMappings: 532 * 1024, otherMappings: 40 * 1024 });
  });
  it("tells glibc's thread-arena heaps (64 MiB-aligned, rw up to their top, PROT_NONE to the next 64 MiB) from other anonymous mmaps", () => {
    // From a py-thread-arenas worker (3 threads): two arena heaps, then a 4 MiB mmap that is aligned but not followed by PROT_NONE.
    const text = [
      '7f3c34000000-7f3c34c6a000 rw-p 00000000 00:00 0 ', 'Rss:               12712 kB',
      '7f3c34c6a000-7f3c38000000 ---p 00000000 00:00 0 ', 'Rss:                   0 kB',
      '7f3c3c000000-7f3c3cc69000 rw-p 00000000 00:00 0 ', 'Rss:               12708 kB',
      '7f3c3cc69000-7f3c40000000 ---p 00000000 00:00 0 ', 'Rss:                   0 kB',
      '7f3c40000000-7f3c40400000 rw-p 00000000 00:00 0 ', 'Rss:                4096 kB',
      '7f3c44000000-7f3c44021000 rw-p 00000000 00:00 0 ', 'Rss:                 132 kB',
      '7f3c44021000-7f3c44100000 ---p 00000000 00:00 0 ', 'Rss:                   0 kB',
    ].join('\n');
    const mappings = parseSmapsMappings(text);
    expect(mappings[0]).toEqual({ start: 0x7f3c34000000, end: 0x7f3c34c6a000, perms: 'rw-p', path: '', rss: 12712 * 1024 });
    expect(0x7f3c34000000 % ARENA_HEAP_BYTES).toBe(0);
    // The last pair is aligned but reserves 1 MiB, not 64: a thread stack or a V8 reservation, not a heap.
    expect(classifyMappings(mappings)).toMatchObject({ arenaHeaps: (12712 + 12708) * 1024, anonMappings: (4096 + 132) * 1024, mappings: 7 });
    expect(classifyMappings(mappings, [0x7f3c44000100])).toMatchObject({ stacks: 132 * 1024, anonMappings: 4096 * 1024 });
  });
  it('reads the totals of smaps_rollup', () => {
    const text = 'Rss: 1764 kB\nPss: 492 kB\nPrivate_Dirty: 116 kB\nAnonymous: 116 kB\nSwap: 0 kB\n';
    expect(parseSmapsRollup(text)).toEqual({ rss: 1764 * 1024, pss: 492 * 1024, anonymous: 116 * 1024, privateDirty: 116 * 1024, swap: 0 });
    expect(() => parseSmapsRollup('Rss: 1 kB')).toThrow(/no Pss line/);
  });
  it('finds jemalloc among the mappings', () => {
    expect(parseMallocLibrary(SMAPS)).toBe('jemalloc');
    expect(parseMallocLibrary('7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6')).toBe('glibc');
  });
  it.skipIf(process.platform !== 'linux')('reads this process, whose parts add up to its Rss', () => {
    const b = readMemoryBreakdown(process.pid, 'baseline', 1)!;
    const parts = b.brkHeap + b.arenaHeaps! + b.anonMappings + b.fileMappings + b.otherMappings;
    expect(Math.abs(parts - b.rss)).toBeLessThan(0.05 * b.rss); // two reads, a moment apart
    expect(readMemoryBreakdown(2 ** 22 + 7, 'baseline', 1)).toBeUndefined();
  });
});

// The Node experiments (server/workers/node-experiments.ts runs them): what each allocates, its
// bounded parameters, and why its memory does or does not go back to the operating system.
import { count, defineExperiments } from './experiment.js';

export const NODE_EXPERIMENTS = defineExperiments([
  {
    id: 'seed-strings',
    runtime: 'node',
    title: 'Seed: 10⁷ references to one string',
    description: "The seed's ['abc' for x in range(10**7)] in JavaScript: an array of N references to the one string 'abc'.",
    why:
      'All the memory is the array\'s backing store: 8 bytes per slot on 64-bit V8, one large object in ' +
      "V8's large-object space. Dropping the reference frees nothing until the GC runs; V8's full GC then " +
      'frees the store, and a background thread unmaps its pages a few ms after gc() returns: the collect ' +
      'phase waits for that (a second gc(), then RSS standing still), so RSS is back at collect. What stays ' +
      '(~4 MiB) is code the run faulted in, not data.',
    params: [count(10_000_000, 1_000, 50_000_000)],
  },
  {
    id: 'unique-strings',
    runtime: 'node',
    title: 'N distinct short strings',
    description: 'N different strings ("s0", "s1", …), each its own heap object, held in one array.',
    why:
      'Each string is a small object on the V8 heap. A full GC marks none of them and V8 releases the ' +
      "emptied pages, but it keeps part of the old generation reserved for reuse, so RSS comes back only " +
      'part of the way.',
    params: [count(1_000_000, 1_000, 10_000_000)],
  },
  {
    id: 'small-objects',
    runtime: 'node',
    title: 'N small objects',
    description: 'N objects { a, b } held in one array.',
    why:
      'Small objects live in V8\'s young then old generation. V8\'s GC is moving and compacting: survivors ' +
      'are packed together and whole pages handed back, unlike a non-moving allocator, but V8 keeps some ' +
      'heap reserved after a big GC.',
    params: [count(1_000_000, 1_000, 10_000_000)],
  },
  {
    id: 'big-buffers',
    runtime: 'node',
    title: 'N big Buffers (off the V8 heap)',
    description: 'N Buffers of S bytes each, written so their pages are really touched.',
    why:
      "Buffer memory lives outside the V8 heap (external/arrayBuffers). Each 1 MiB block is above glibc's " +
      'mmap threshold (128 KiB by default), so it is its own mapping and munmap returns it at once, as soon ' +
      "as the GC finalises the Buffer. heapUsed barely moves: watch 'external' rise instead (it falls " +
      'only at the next GC: V8 updates that counter late, while the pages are already gone).',
    params: [
      count(256, 1, 4_096),
      { name: 'size', label: 'S (bytes each)', type: 'integer', min: 1_024, max: 16_777_216, default: 1_048_576, unit: 'B' },
    ],
  },
  {
    id: 'small-buffers',
    runtime: 'node',
    title: 'N small Buffers (C heap)',
    description: 'N × 4 KiB Buffer.allocUnsafeSlow: each one a separate malloc below the mmap threshold.',
    why:
      "4 KiB blocks come from glibc's brk heap and arenas. After the GC frees them, glibc only gives memory " +
      'back from the top of the heap past M_TRIM_THRESHOLD; free chunks in the middle stay mapped, so RSS ' +
      "stays high (seen here: 471 → 455 MiB) until malloc_trim(0) walks the heap and returns them.",
    params: [count(100_000, 100, 1_000_000)],
  },
  {
    id: 'fragmentation',
    runtime: 'node',
    title: 'Fragmentation: keep every k-th object',
    description: 'Allocate N small objects, then unreference all but every k-th.',
    why:
      'The seed\'s point about one survivor pinning a whole arena, in V8: survivors are scattered over ' +
      "every page. V8's compactor can move them together, but it compacts only the most fragmented pages " +
      'per GC, so part of the heap stays resident until later GCs.',
    params: [count(1_000_000, 1_000, 10_000_000), { name: 'keepEvery', label: 'k (keep every k-th)', type: 'integer', min: 2, max: 1_000_000, default: 1_000 }],
  },
]);

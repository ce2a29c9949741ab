// The Node experiments (server/workers/node-experiments.ts runs them): what each allocates, its
// bounded parameters, and why its memory does or does not go back to the operating system.
import { bytesEach, count, defineExperiments, keepEvery, threadCount } from './experiment.js';

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
      bytesEach(1_048_576, 1_024, 16_777_216),
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
    params: [count(1_000_000, 1_000, 10_000_000), keepEvery(1_000)],
  },
  {
    id: 'buffer-pool-slices',
    runtime: 'node',
    title: 'Pooled Buffers: keep a small slice of each',
    description: 'N × Buffer.allocUnsafe(S) (S < 4 KiB), then keep only the first K bytes of each, as buf.subarray(0, K).',
    why:
      'Buffer.allocUnsafe() under Buffer.poolSize >>> 1 (4 KiB) does not allocate: it hands out a slice of a shared 8 KiB ' +
      'pool ArrayBuffer and moves on to a new pool when this one is full (Node lib/buffer.js allocate(), Buffer.poolSize 8192). ' +
      "A slice or subarray is a view of the same ArrayBuffer, so keeping 16 bytes of each Buffer keeps every pool's whole 8 KiB " +
      'backing store referenced: nothing is freed at collect, under any allocator, because nothing is garbage (seen here: 50 000 × 4000 B, ' +
      '208.5 MiB kept by 16-byte slices, under glibc, trim and jemalloc alike). Copy what you keep ' +
      '(Buffer.from(slice) packs the copies into a few pools) or allocate long-lived bytes with Buffer.allocUnsafeSlow().',
    params: [
      count(50_000, 100, 500_000),
      bytesEach(4_000, 1, 4_095),
      { name: 'keep', label: 'K (bytes kept of each)', type: 'integer', min: 1, max: 4_095, default: 16, unit: 'B' },
    ],
  },
  {
    id: 'interleaved-lifetimes',
    runtime: 'node',
    title: 'Interleaved lifetimes in the C heap: keep every k-th Buffer',
    description: 'N × S-byte Buffer.allocUnsafeSlow (each its own malloc); every k-th lives on (a session, a cache entry), the rest were scratch and are dropped.',
    why:
      "Blocks below the mmap threshold come one after another from glibc's brk heap, so the long-lived ones end up spread " +
      'through it. glibc shrinks the heap only from its top (malloc/malloc.c systrim), so it cannot shrink past them, and the ' +
      'free gaps between them stay mapped. malloc_trim(0) also madvises whole free pages inside the heap away (glibc ≥ 2.8, ' +
      'mtrim), but a gap returns only the pages it fully covers: with 1000-byte blocks and k = 8 a gap is ~7 KiB, about one ' +
      'page of it, so trim gives back only part (seen here: 48.5 of the 97 MiB free, 122 → 77 MiB kept).',
    params: [
      count(100_000, 100, 1_000_000),
      bytesEach(1_000, 64, 65_536),
      keepEvery(8),
    ],
  },
  {
    id: 'thread-arenas',
    runtime: 'node',
    title: 'Threads × glibc arenas: native bursts on T worker threads',
    description:
      'T worker_threads (started before baseline), one after another, each malloc N native blocks of S bytes on their own thread ' +
      '(koffi), write them and free all but the last one.',
    why:
      "glibc gives each thread that mallocs an arena of its own, up to MALLOC_ARENA_MAX (8 × cores by default; malloc/arena.c " +
      'arena_get2), each a chain of 64 MiB heaps (HEAP_MAX_SIZE) shrunk only from the top (heap_trim). A burst freed on one thread ' +
      "stays in that thread's arena, pinned by the block still live at its top, and the next thread's burst cannot reuse it: RSS grows " +
      'with T, the most reported "RSS never goes down" of threaded services (native addons, zlib, database drivers). With ' +
      'MALLOC_ARENA_MAX=1 or 2 the threads share arenas and each burst reuses the last one\'s free chunks; malloc_trim(0) walks every arena ' +
      '(seen here, 8 threads: 77.8 MiB kept; MALLOC_ARENA_MAX=1 10.2, =2 19.3; trim 0.2).',
    params: [
      threadCount(),
      count(10_000, 100, 60_000, 'N (blocks per thread)'),
      bytesEach(1_000, 64, 65_536),
    ],
    needs: ['koffi'],
  },
]);

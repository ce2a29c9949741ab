// The CPython experiments (server/workers/python-worker.py runs them). Figures quoted in the texts
// were measured on a 2-core Linux machine with Python 3.11.7 and glibc 2.36.
import { bytesEach, count, defineExperiments, keepEvery, threadCount } from './experiment.js';

/** From CPython's Objects/obmalloc.c and pycore_obmalloc.h (3.10+, 64-bit, radix tree). */
const PYMALLOC = 'pymalloc (objects ≤ 512 bytes) carves 16 KiB pools out of 1 MiB arenas, each arena its own mmap; ' +
  "an arena goes back to the OS only when every block in it is free (the seed's 4 KiB pools and 256 KiB arenas are the older sizes).";

export const PYTHON_EXPERIMENTS = defineExperiments([
  {
    id: 'py-seed',
    runtime: 'python',
    title: "Seed in CPython: ['abc' for x in range(N)]",
    description: "The seed's own code: foo = ['abc' for x in range(N)], del foo, gc.collect().",
    why:
      "Every slot references the one interned string 'abc', so the memory is the list's array of N pointers: one " +
      'large block (8 bytes × N), far above the mmap threshold, so glibc gives it its own mapping and munmap returns it ' +
      'the instant del drops the last reference. gc.collect() then finds nothing to do: the Collect row is ~0 and ' +
      "Overall is close to baseline — the seed's −2279% at collect came from Python 2's int free list, which Python 3 does not have.",
    params: [count(10_000_000, 1_000, 50_000_000)],
  },
  {
    id: 'py-unique-strings',
    runtime: 'python',
    title: '[str(x) for x in range(N)]: the seed with distinct strings',
    description: "The seed with a different object in every slot: foo = [str(x) for x in range(N)], del foo, gc.collect().",
    why:
      `The seed's 'abc' is one interned string referenced N times, so its memory is only the list's pointers. str(x) makes N ` +
      `distinct 41–48-byte str objects (only one-character strings are cached), so the pymalloc path shows: ${PYMALLOC} ` +
      'The strings are made in order and freed together at del (no cycles: gc.collect() finds nothing), so whole arenas empty ' +
      'and are unmapped, and RSS comes back (seen here: 10⁷ strings, 689 → 2.4 MiB) — distinct small objects are not by themselves ' +
      'what keeps memory; survivors scattered among them are (py-fragmentation). Under PYTHONMALLOC=malloc each is a malloc chunk ' +
      'instead, and glibc keeps 610 MiB of them in its brk heap until malloc_trim(0).',
    params: [count(10_000_000, 1_000, 20_000_000)],
  },
  {
    id: 'py-unique-ints',
    runtime: 'python',
    title: 'list(range(N)): N distinct int objects',
    description: 'A list of N different int objects (only −5…256 are shared singletons).',
    why:
      `Each int is a 28–32-byte object from pymalloc, plus 8 bytes of list slot. ${PYMALLOC} The ints are allocated in ` +
      'order and freed together, so whole arenas empty out and are unmapped at del: RSS comes back.',
    params: [count(10_000_000, 1_000, 50_000_000)],
  },
  {
    id: 'py-small-objects',
    runtime: 'python',
    title: 'N small dicts',
    description: "N dicts {'a': i, 'b': i + 1} held in one list.",
    why:
      `A small dict is a few pymalloc blocks (the object, its keys and values). ${PYMALLOC} Freed all together, ` +
      'every arena empties and is unmapped: RSS returns to within a few MiB of baseline.',
    params: [count(1_000_000, 1_000, 10_000_000)],
  },
  {
    id: 'py-fragmentation',
    runtime: 'python',
    title: 'Fragmentation: keep every k-th dict',
    description: 'Allocate N small dicts, then drop all but every k-th.',
    why:
      `The seed's point, live: ${PYMALLOC} One survivor in 1000 leaves a live block in nearly every pool, so allocated blocks ` +
      'fall ~99% while RSS stays (seen: 1e6 dicts, +250 MiB kept). malloc_trim, MALLOC_TRIM_THRESHOLD_=0 and jemalloc ' +
      'change nothing: the arenas are mmap\'d by pymalloc, not malloc\'d. With PYTHONMALLOC=malloc the dicts go to glibc\'s brk ' +
      'heap instead, and malloc_trim(0) (or jemalloc with dirty_decay_ms:0) gives most of it back.',
    params: [count(1_000_000, 1_000, 10_000_000), keepEvery(1_000)],
  },
  {
    id: 'py-medium-bytes',
    runtime: 'python',
    title: 'N medium bytes objects (C heap)',
    description: 'N bytes objects of S bytes (default 1000): above pymalloc\'s 512-byte limit, below malloc\'s 128 KiB mmap threshold. Unreference keeps the last one.',
    why:
      "Too big for pymalloc, too small for their own mmap: each is a plain malloc chunk in glibc's brk heap. The last object is " +
      'kept, as any later allocation of a real program would be: it sits at the top of the heap. glibc shrinks the heap only from ' +
      'its top, past M_TRIM_THRESHOLD, so all the free space below that one live chunk stays ' +
      'mapped (seen: 200k objects, 217 → 215 MiB), even with MALLOC_TRIM_THRESHOLD_=0. malloc_trim(0) walks the whole heap and ' +
      'returns the free pages (→ ~14 MiB in ~15 ms): turn on the trim knob.',
    params: [
      count(200_000, 100, 2_000_000),
      bytesEach(1_000, 513, 131_000),
    ],
  },
  {
    id: 'py-large-bytes',
    runtime: 'python',
    title: 'N large bytes objects (own mmaps)',
    description: 'N bytes objects of S bytes (default 1 MiB), above glibc\'s mmap threshold.',
    why:
      "Each block is above glibc's mmap threshold (128 KiB by default), so malloc gives it its own anonymous mapping and free " +
      'munmaps it: RSS falls at del, with nothing left for gc.collect() or malloc_trim to do.',
    params: [
      count(256, 1, 4_096),
      bytesEach(1_048_576, 262_144, 16_777_216),
    ],
  },
  {
    id: 'py-interleaved-lifetimes',
    runtime: 'python',
    title: 'Interleaved lifetimes in the C heap: keep every k-th bytes',
    description: 'N bytes objects of S bytes (above pymalloc\'s 512-byte limit): every k-th lives on (a session, a cache entry), the rest were scratch and are dropped.',
    why:
      "Each object is a plain malloc chunk in glibc's brk heap, made one after another, so the long-lived ones are spread through " +
      'it. glibc shrinks the heap only from its top (malloc/malloc.c systrim), so it cannot shrink past them and the free gaps ' +
      'between them stay mapped, whatever MALLOC_TRIM_THRESHOLD_ says. malloc_trim(0) also madvises whole free pages inside the ' +
      'heap away (glibc ≥ 2.8, mtrim), but a gap returns only the pages it fully covers: with 1000-byte objects and k = 8 a gap ' +
      'is ~7 KiB, about one page of it, so trim gives back only part (seen here: 79 of the 176 MiB free, 201 → 122 MiB kept). ' +
      'jemalloc keeps more: each survivor pins its slab (250 MiB kept).',
    params: [
      count(200_000, 100, 2_000_000),
      bytesEach(1_000, 513, 131_000),
      keepEvery(8),
    ],
  },
  {
    id: 'py-thread-arenas',
    runtime: 'python',
    title: 'Threads × glibc arenas: bursts of bytes on T threads',
    description:
      'T threads, all alive at once, one after another each build N bytes objects of S bytes (malloc-sized) and drop all but the last.',
    why:
      "Objects over 512 bytes skip pymalloc and are malloc'd on the thread that makes them. glibc gives each thread that mallocs " +
      'an arena of its own, up to MALLOC_ARENA_MAX (8 × cores by default; malloc/arena.c arena_get2), each a chain of 64 MiB heaps ' +
      "(HEAP_MAX_SIZE) shrunk only from the top (heap_trim). A burst freed on one thread stays in that thread's arena, pinned by the " +
      "object still live at its top, and the next thread's burst cannot reuse it: RSS grows with T — the most reported \"RSS never " +
      'goes down" of threaded Python services. With MALLOC_ARENA_MAX=1 or 2 the threads share arenas and each burst reuses the ' +
      "last one's free chunks; malloc_trim(0) walks every arena (seen here, 8 threads: 81.3 MiB kept; MALLOC_ARENA_MAX=1 9.9, =2 20.1; " +
      'trim 0). The GIL does not help: it serialises the threads, not their arenas.',
    params: [
      threadCount(),
      count(10_000, 100, 60_000, 'N (objects per thread)'),
      bytesEach(1_000, 513, 65_536),
    ],
  },
]);

// One thread of the thread-arenas experiment (a worker_thread of the Node worker): on each request
// it mallocs N native blocks of S bytes on its own thread, writes them, and frees all but the last,
// as a native addon, zlib or a database driver does on the thread that calls it. glibc serves a
// thread's mallocs from the arena that thread got at its first one (malloc/arena.c arena_get2).
// The calls go through koffi: no JS object per block, so nothing here is the isolate's memory.
import { parentPort, workerData } from 'node:worker_threads';

export interface BurstThreadData {
  /** Where malloc and free come from: libc.so.6, or the preloaded jemalloc (its symbols, not glibc's). */
  mallocLibrary: string;
}
export interface BurstRequest {
  n: number;
  size: number;
}

type Koffi = typeof import('koffi');
const koffi = (await import('koffi')).default as unknown as Koffi;
const { mallocLibrary } = workerData as BurstThreadData;
const allocator = koffi.load(mallocLibrary);
// Pointers as integers: a JS number holds any x86-64/arm64 user address (< 2^48) exactly.
const malloc = allocator.func('uintptr_t malloc(size_t size)') as (size: number) => number;
const free = allocator.func('void free(uintptr_t ptr)') as (ptr: number) => void;
const memset = koffi.load('libc.so.6').func('uintptr_t memset(uintptr_t s, int c, size_t n)') as (s: number, c: number, n: number) => number;

/** The blocks each burst kept: referenced until the process exits. */
const survivors: number[] = [];

parentPort!.on('message', ({ n, size }: BurstRequest) => {
  const blocks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const block = malloc(size);
    if (block === 0) throw new Error(`malloc(${size}) failed after ${i} blocks`);
    memset(block, (i & 0xff) | 1, size); // fresh heap pages cost no RSS until written
    blocks[i] = block;
  }
  for (let i = 0; i < n - 1; i++) free(blocks[i]!);
  survivors.push(blocks[n - 1]!); // the last block, at the top of this thread's arena
  parentPort!.postMessage(survivors.length);
});
// Each call boxes its pointer argument and result as heap numbers (~64 bytes of garbage a block):
// a first round of calls grows this isolate's new space to its cap (thread-bursts.ts sets it)
// before baseline, so no burst grows it and the isolate's memory, which the worker's V8 figures do
// not cover, stays out of the run's data.
const warmUp = new Float64Array(20_000);
for (let i = 0; i < warmUp.length; i++) {
  warmUp[i] = malloc(64);
  memset(warmUp[i]!, 1, 64);
  free(warmUp[i]!);
}
parentPort!.postMessage(0); // loaded: koffi and this thread's first mallocs are part of the baseline

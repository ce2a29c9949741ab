// What each Node experiment allocates and how it lets go. Runs inside the worker process only.
import type { NodeExperimentId } from '../../shared/catalog/index.js';
import type { Params } from '../../shared/run-record.js';
import { startBurstPool, type BurstPool } from './thread-bursts.js';

/** Called often inside allocation loops with the items made so far, so the worker can report its heap and progress every ≤ 50 ms. */
export type Tick = (done: number) => void;

export interface NodeExperiment {
  /** Sets up what the experiment needs before baseline (threads), so its own cost is part of the baseline. */
  prepare?(params: Params): Promise<unknown>;
  /** Builds the data (or a promise of it); the returned value is the only reference to it. */
  allocate(params: Params, tick: Tick, prepared: unknown): unknown;
  /** Drops the reference (all of it, or all but the survivors it returns). */
  unreference(data: unknown, params: Params): unknown;
}

const TICK_MASK = 0x3fff; // check the clock every 16k items: cheap, and well under 50 ms apart

function fillArray<T>(n: number, make: (i: number) => T, tick: Tick): T[] {
  // Preallocated: one backing store of n slots (8 bytes each), like the seed's list, with no
  // grow-and-copy garbage. V8 keeps it in fast (not dictionary) mode even for 10^7 slots.
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) {
    out[i] = make(i);
    if ((i & TICK_MASK) === 0) tick(i);
  }
  return out;
}

const dropAll = () => null;
const keepEvery = (data: unknown, p: Params) => (data as unknown[]).filter((_, i) => i % p.keepEvery! === 0);

function buffers(n: number, make: () => Buffer, tick: Tick): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    // Write every byte: calloc'd or fresh mmap pages cost no RSS until they are touched.
    out.push(make().fill(i & 0xff | 1));
    if ((i & 0x3f) === 0) tick(i);
  }
  return out;
}

/**
 * Buffer.allocUnsafe(size) under Buffer.poolSize >>> 1 (4 KiB) is a slice of a shared 8 KiB pool
 * ArrayBuffer (Node lib/buffer.js allocate()); keeping a few bytes of each, as a subarray, keeps
 * every pool's whole backing store referenced.
 */
function poolSlices(p: Params, tick: Tick): Buffer[] {
  const out = new Array<Buffer>(p.n!);
  for (let i = 0; i < p.n!; i++) {
    out[i] = Buffer.allocUnsafe(p.size!).fill((i & 0xff) | 1);
    if ((i & 0x3ff) === 0) tick(i);
  }
  return out;
}

/** T threads, one at a time, each mallocs N blocks of S bytes and frees all but its last one. */
async function threadBursts(p: Params, tick: Tick, pool: BurstPool): Promise<number> {
  for (let k = 0; k < pool.size; k++) {
    tick(k * p.n!);
    await pool.burst(k, { n: p.n!, size: p.size! });
  }
  return pool.size; // the survivors are the threads' own: nothing here references memory
}

/** Keyed by the catalog's ids: an experiment missing here, or one the catalog lacks, fails the typecheck. */
export const NODE_EXPERIMENT_CODE: Record<NodeExperimentId, NodeExperiment> = {
  'seed-strings': { allocate: (p, tick) => fillArray(p.n!, () => 'abc', tick), unreference: dropAll },
  'unique-strings': { allocate: (p, tick) => fillArray(p.n!, (i) => `s${i}`, tick), unreference: dropAll },
  'small-objects': { allocate: (p, tick) => fillArray(p.n!, (i) => ({ a: i, b: i + 1 }), tick), unreference: dropAll },
  'big-buffers': { allocate: (p, tick) => buffers(p.n!, () => Buffer.alloc(p.size!), tick), unreference: dropAll },
  'small-buffers': { allocate: (p, tick) => buffers(p.n!, () => Buffer.allocUnsafeSlow(4096), tick), unreference: dropAll },
  fragmentation: {
    allocate: (p, tick) => fillArray(p.n!, (i) => ({ a: i, b: i + 1 }), tick),
    unreference: keepEvery,
  },
  'buffer-pool-slices': {
    allocate: poolSlices,
    unreference: (data, p) => (data as Buffer[]).map((b) => b.subarray(0, p.keep!)),
  },
  'interleaved-lifetimes': { allocate: (p, tick) => buffers(p.n!, () => Buffer.allocUnsafeSlow(p.size!), tick), unreference: keepEvery },
  'thread-arenas': {
    prepare: (p) => startBurstPool(p.threads!),
    allocate: (p, tick, pool) => threadBursts(p, tick, pool as BurstPool),
    unreference: (data) => data,
  },
};

// GET /api/runs/:id for stored runs without stalling the server: the JSON of a long run (120 s is
// 120 000 samples, ~50 ms to write) is written in a thread (record-reader-thread.ts) and handed
// back as moved Buffers, so 40 requests for 120 s runs do not hold up /api/health or the live
// stream. Short runs (the usual few seconds) are written here: a round trip would cost more.
// Requests for a run already being written share that build, and the last few are kept (a stored
// run never changes; deletes drop it). The thread ends soon after its last build: its heap is most
// of what opening long runs costs in RSS, and starting it again takes ~100 ms.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { distDir } from '../paths.js';
import { writeRecordJson } from './record-json.js';
import type { ReadReply, ReadRequest } from './record-reader-thread.js';
import type { RunStore } from './run-store.js';
import { StoreError, type StoreErrorKind } from './store-errors.js';

/** The thread runs compiled, from source too (vitest): a worker_thread cannot load TypeScript. */
export const readerThreadScript = resolve(distDir, 'server/storage/record-reader-thread.js');

/** Built JSON kept for runs opened again (bytes, all runs together): one 120 s run (~5 MB), so that the server stays under 150 MB after opening many. */
export const CACHE_BYTES = 8 * 1024 * 1024;

/** Runs up to this many samples (20 s at 1 kHz: ~1 MB of JSON, a few ms) are written on this thread. */
export const INLINE_MAX_SAMPLES = 20_000;

/**
 * The thread ends after this long without work (ms): alive, it holds ~25 MB of RSS (its isolate and
 * garbage); starting it again costs tens of ms, once per burst of opened runs.
 */
export const THREAD_IDLE_MS = 1000;

/** A run's JSON in pieces, in order. */
export type JsonPieces = Buffer[];

const sizeOf = (pieces: JsonPieces) => pieces.reduce((n, p) => n + p.length, 0);

interface Waiter {
  worker: Worker;
  resolve(json: JsonPieces | undefined): void;
  reject(error: Error): void;
}

export class RecordReader {
  private worker?: Worker;
  private idleTimer?: NodeJS.Timeout;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly building = new Map<string, Promise<JsonPieces | undefined>>();
  private readonly cache = new Map<string, JsonPieces>();
  private cached = 0;

  constructor(
    private readonly store: RunStore,
    private readonly cacheBytes = CACHE_BYTES,
  ) {}

  /** The run's JSON, or undefined when there is no such run; rejects with a StoreError. */
  json(id: string): Promise<JsonPieces | undefined> {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id); // most recently used last
      this.cache.set(id, hit);
      return Promise.resolve(hit);
    }
    let build = this.building.get(id);
    if (!build) {
      build = this.build(id).then((json) => {
        if (json && this.building.get(id) === build) this.keep(id, json);
        return json;
      }).finally(() => {
        if (this.building.get(id) === build) this.building.delete(id);
      });
      this.building.set(id, build);
    }
    return build;
  }

  /** The run changed or went away: never answer from an older build. */
  forget(id: string): void {
    this.building.delete(id);
    const old = this.cache.get(id);
    if (old) this.cached -= sizeOf(old);
    this.cache.delete(id);
  }

  close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private keep(id: string, json: JsonPieces): void {
    const size = sizeOf(json);
    if (size > this.cacheBytes) return;
    this.cache.set(id, json);
    this.cached += size;
    for (const [oldest, pieces] of this.cache) {
      if (this.cached <= this.cacheBytes) break;
      this.cache.delete(oldest);
      this.cached -= sizeOf(pieces);
    }
  }

  /**
   * Builds take turns, one per turn of the event loop: reading and checking a long run's rows is
   * ~5 ms on this thread, and 40 different runs asked at once must not hold the loop for 200 ms.
   */
  private build(id: string): Promise<JsonPieces | undefined> {
    return new Promise((resolve, reject) => {
      this.turns.push(() => void this.buildNow(id).then(resolve, reject));
      if (this.turns.length === 1) setImmediate(this.nextTurn);
    });
  }

  private readonly turns: (() => void)[] = [];
  private readonly nextTurn = (): void => {
    this.turns.shift()?.();
    if (this.turns.length > 0) setImmediate(this.nextTurn);
  };

  private buildNow(id: string): Promise<JsonPieces | undefined> {
    let request: ReadRequest;
    let worker: Worker | undefined;
    try {
      // Read and checked here (a few ms); the samples, most of the work, are written by the thread.
      const parts = this.store.loadJsonParts(id);
      if (!parts) return Promise.resolve(undefined);
      // Without a built thread script (a source checkout before its first build) all are written here.
      worker = this.store.sampleCount(id)! > INLINE_MAX_SAMPLES ? this.thread() : undefined;
      if (!worker) return Promise.resolve(writeRecordJson(parts));
      request = { seq: ++this.seq, parts: { ...parts, samples: new Uint8Array(parts.samples) } }; // a copy the thread may keep
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const thread = worker;
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      this.waiting.set(request.seq, { worker: thread, resolve, reject });
      thread.ref(); // kept alive while it has work
      thread.postMessage(request, [request.parts.samples.buffer as ArrayBuffer]);
    });
  }

  private thread(): Worker | undefined {
    if (this.worker) return this.worker;
    if (!existsSync(readerThreadScript)) return undefined;
    // A small young generation: the thread's garbage is per-sample strings, and a 16 MB nursery
    // (Node's default) is ~30 MB of RSS kept for nothing.
    const worker = new Worker(readerThreadScript, { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    worker.unref();
    worker.on('message', (reply: ReadReply) => this.answer(worker, reply));
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined; // the next request starts a new thread
      for (const [seq, waiter] of this.waiting) {
        if (waiter.worker !== worker) continue; // a newer thread's
        this.waiting.delete(seq);
        waiter.reject(new StoreError('io', `the run reader thread failed: ${error.message}`));
      }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private answer(worker: Worker, reply: ReadReply): void {
    const waiter = this.waiting.get(reply.seq);
    this.waiting.delete(reply.seq);
    if (![...this.waiting.values()].some((w) => w.worker === worker)) {
      worker.unref();
      this.idleTimer = setTimeout(() => void this.close(), THREAD_IDLE_MS).unref();
    }
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply.json ? reply.json.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)) : undefined);
    else waiter.reject(new StoreError((reply.kind as StoreErrorKind | undefined) ?? 'io', reply.error));
  }
}

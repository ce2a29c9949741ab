// GET /api/runs/:id for stored runs, off the event loop: the JSON is built in a thread
// (record-reader-thread.ts) and handed back as bytes, so 40 requests for a 120 s run do not hold up
// /api/health or the live stream. Requests for a run already being built share that build, and
// the last few built runs are kept (runs never change once stored; deletes drop them).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { distDir } from '../paths.js';
import type { ReadReply } from './record-reader-thread.js';
import type { RunStore } from './run-store.js';
import { StoreError, type StoreErrorKind } from './store-errors.js';

/** The thread runs compiled, from source too (vitest): a worker_thread cannot load TypeScript. */
export const readerThreadScript = resolve(distDir, 'server/storage/record-reader-thread.js');

/** Built JSON kept for runs opened again (bytes, all runs together). */
export const CACHE_BYTES = 24 * 1024 * 1024;

/**
 * Runs up to this many samples (20 s at 1 kHz: ~1 MB of JSON, a few ms to build) are built here:
 * cheaper than a round trip to the thread, and no thread to start for the usual few-second run.
 */
export const INLINE_MAX_SAMPLES = 20_000;

export class RecordReader {
  private worker?: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(json: Buffer | undefined): void; reject(error: Error): void }>();
  private readonly building = new Map<string, Promise<Buffer | undefined>>();
  private readonly cache = new Map<string, Buffer>();
  private cached = 0;

  constructor(
    private readonly store: RunStore,
    private readonly cacheBytes = CACHE_BYTES,
  ) {}

  /** The run's JSON, or undefined when there is no such run; rejects with a StoreError. */
  json(id: string): Promise<Buffer | undefined> {
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
    if (old) this.cached -= old.length;
    this.cache.delete(id);
  }

  close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private keep(id: string, json: Buffer): void {
    if (json.length > this.cacheBytes) return;
    this.cache.set(id, json);
    this.cached += json.length;
    for (const [oldest, buffer] of this.cache) {
      if (this.cached <= this.cacheBytes) break;
      this.cache.delete(oldest);
      this.cached -= buffer.length;
    }
  }

  private build(id: string): Promise<Buffer | undefined> {
    let worker: Worker | undefined;
    try {
      const samples = this.store.sampleCount(id);
      if (samples === undefined) return Promise.resolve(undefined);
      // Without a built thread script (a source checkout before its first build) all are read here.
      worker = samples > INLINE_MAX_SAMPLES ? this.thread() : undefined;
      if (!worker) {
        const record = this.store.load(id);
        return Promise.resolve(record && Buffer.from(JSON.stringify(record)));
      }
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const seq = ++this.seq;
    const thread = worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      thread.ref(); // kept alive while it has work
      thread.postMessage({ seq, id });
    });
  }

  private thread(): Worker | undefined {
    if (this.worker) return this.worker;
    if (!existsSync(readerThreadScript)) return undefined;
    const worker = new Worker(readerThreadScript, { workerData: { dir: this.store.dir } });
    worker.unref();
    worker.on('message', (reply: ReadReply) => {
      const waiter = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) worker.unref();
      if (!waiter) return;
      if (reply.ok) waiter.resolve(reply.json ? Buffer.from(reply.json.buffer, reply.json.byteOffset, reply.json.byteLength) : undefined);
      else waiter.reject(new StoreError((reply.kind as StoreErrorKind | undefined) ?? 'io', reply.error));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined; // the next request starts a new thread
      for (const waiter of this.waiting.values()) waiter.reject(new StoreError('io', `the run reader thread failed: ${error.message}`));
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

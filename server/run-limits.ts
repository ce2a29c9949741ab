// The caps every worker runs under: RSS (a watchdog in the sampler, plus V8's own heap limit) and
// wall-clock time. Pure functions and constants; the sampler and run.ts apply them.
import { totalmem } from 'node:os';
import { MEMORY_CAP_MIB } from '../shared/limits.js';
import { MiB } from '../shared/units.js';

/**
 * How often the sampler checks RSS against the cap, whatever rate the run records at. Checked only
 * at each recorded sample, big-buffers (512 × 16 MiB, ~1.75 MiB/ms here) at sampleHz 1 reached
 * 549 MiB under a 256 MiB cap; every 4 ms it overshoots by ≤ ~7 MiB plus the kill's latency.
 */
export const MEMORY_WATCH_HZ = 250;

/**
 * The most a worker may be allowed: 90 % of the machine's memory, or of the cgroup limit when the
 * server runs in a smaller container (process.constrainedMemory() reports 2^64 when there is none).
 */
export function machineMaxCapMiB(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  return Math.floor((total * 0.9) / MiB);
}

export type CapResult = { ok: true; capMiB: number } | { ok: false; error: string };

/** Checks a requested cap (from a request body or MEMTIDE_MEMORY_CAP_MIB) against the bounds. */
export function checkMemoryCap(value: number, field: string, max = machineMaxCapMiB()): CapResult {
  if (!Number.isSafeInteger(value)) return { ok: false, error: `${field}: must be an integer number of MiB, got ${value}` };
  if (value < MEMORY_CAP_MIB.min || value > max) {
    return { ok: false, error: `${field}: must be between ${MEMORY_CAP_MIB.min} and ${max} MiB (90 % of this machine's memory), got ${value}` };
  }
  return { ok: true, capMiB: value };
}

export const defaultMemoryCapMiB = (max = machineMaxCapMiB()): number => Math.min(MEMORY_CAP_MIB.default, max);

export const memoryCapReason = (capMiB: number, phase: string, how = ''): string =>
  `killed: exceeded memory cap ${capMiB} MiB at phase ${phase}${how}`;

export const wallClockReason = (capS: number, phase: string): string =>
  `killed: exceeded wall-clock cap ${capS} s at phase ${phase}`;

/**
 * V8 aborts with this when the old space reaches --max-old-space-size (src/heap/heap.cc,
 * FatalProcessOutOfMemory): the worker dies on its own, before the RSS watchdog sees the cap.
 */
export const isV8HeapOutOfMemory = (stderr: string): boolean => /heap out of memory|Reached heap limit/.test(stderr);

// Units and the clock: kept free of imports so a worker can load it without zod.

export const KiB = 1024;
export const MiB = 1024 * KiB;

/**
 * The wall clock in ms, comparable across processes (server, sampler process or thread, workers, browser):
 * performance.timeOrigin + performance.now() is monotonic within a process, unlike Date.now().
 */
export const now = (): number => performance.timeOrigin + performance.now();

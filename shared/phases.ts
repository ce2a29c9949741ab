// Kept free of imports so a worker can use it without loading zod (~14 MiB of baseline RSS).

/** The phases of one run, in the order a worker walks them. */
export const PHASES = ['baseline', 'allocate', 'unreference', 'collect', 'settle'] as const;

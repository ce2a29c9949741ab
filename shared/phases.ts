// Kept free of imports so a worker can use it without loading zod (~14 MiB of baseline RSS).

/** The phases every run walks, in order. */
export const PHASES = ['baseline', 'allocate', 'unreference', 'collect', 'settle'] as const;

/**
 * Every phase a run can have, in order: `trim` (malloc_trim(0)) runs between collect and settle
 * only when the run's knobs ask for it.
 */
export const ALL_PHASES = ['baseline', 'allocate', 'unreference', 'collect', 'trim', 'settle'] as const;

export type AnyPhaseName = (typeof ALL_PHASES)[number];

/** The phases of one run, in order. */
export function phasesOf(options: { trim?: boolean }): AnyPhaseName[] {
  return ALL_PHASES.filter((p) => p !== 'trim' || options.trim === true);
}

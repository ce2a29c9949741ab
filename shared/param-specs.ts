// Parameter specs shared by the experiment catalogs.
import type { ParamSpec } from './schemas.js';

/** The usual N: how many items an experiment allocates. */
export const count = (def: number, min: number, max: number, label = 'N (count)'): ParamSpec => ({
  name: 'n', label, type: 'integer', min, max, default: def,
});

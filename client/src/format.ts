// The dashboard writes figures as the CLI does: one module for both (shared/format.ts).
export { formatCount, formatMiB, formatPct, formatSeconds, formatSignedMiB } from '../../shared/format.js';

// The evidence behind a verdict, as the summary records it (shared/evidence.ts): the run's own
// noise and the threshold it set, where RSS above baseline is at each phase end, and what would
// return the kept memory. A part added to ACCOUNTING_PARTS becomes a column; absent ones are left out.
import type { PhaseAccounting, Summary } from '../../../shared/run-record.js';
import { VERDICT_RULES } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatMiB, formatSignedMiB } from '../format.js';

type Part = Exclude<keyof PhaseAccounting, 'phase' | 'missing'>;

/** Columns of the accounting table, in order (each a change since the end of baseline). */
export const ACCOUNTING_PARTS: readonly { key: Part; label: string }[] = [
  { key: 'rss', label: 'RSS' },
  { key: 'live', label: 'live objects' },
  { key: 'freeInRuntime', label: 'freed, kept by the runtime' },
  { key: 'freeInAllocator', label: 'freed, kept by the allocator' },
  { key: 'brkHeapFree', label: '… in the brk heap' },
  { key: 'threadArenasFree', label: '… in thread arenas' },
  { key: 'jemallocDirty', label: '… jemalloc dirty' },
  { key: 'jemallocMuzzy', label: '… jemalloc muzzy' },
  { key: 'jemallocPinned', label: 'jemalloc pinned' },
  { key: 'jemallocMetadata', label: 'jemalloc metadata' },
  { key: 'notResident', label: 'counted, not resident' },
  { key: 'rest', label: 'code, files, stacks' },
  { key: 'unexplained', label: 'unexplained' },
];

export function renderEvidence(s: Summary): HTMLElement[] {
  const out: HTMLElement[] = [el('p', { className: 'note' }, rulesText(s))];
  if (s.mechanism) out.push(el('p', { className: 'mechanism', dataset: { mechanism: s.mechanism } }, 'Mechanism: ', el('code', {}, s.mechanism)));
  if (s.accounting?.length) out.push(accountingTable(s.accounting));
  if (s.remedies?.length) {
    out.push(el('h3', { className: 'remedies-title' }, 'What would return it'),
      el('ul', { className: 'remedies' }, ...s.remedies.map((r) => el('li', {}, r.text, r.returns === undefined ? '' : el('span', { className: 'note' }, ` (≈ ${formatMiB(r.returns)})`)))));
  }
  return out;
}

function rulesText(s: Summary): string {
  const table = `Baseline RSS ${formatMiB(s.mem0)}, peak ${formatMiB(s.peak)}. Each step is 100 × (after − before) / baseline, as in the seed; ` +
    'the first four rows are its table (RSS read right after each step), the rows after it add the trim phase (when asked for) and settle, when freed pages really go back. ';
  if (!s.noise) return `${table}Recorded before runs kept their own noise figures: the verdict followed the rules of its day.`;
  const kept = s.dataKept === undefined ? '' : ` (${formatMiB(s.dataKept)} here)`;
  return `${table}Released if the data still above baseline — RSS minus code and file pages${kept} — is at most ${formatMiB(s.noise.threshold)}: ` +
    `the larger of ${formatMiB(VERDICT_RULES.releasedFloorBytes)} and ${VERDICT_RULES.noiseMultiple} × this run's baseline jitter (${formatMiB(s.noise.jitter, 2)} over ${s.noise.jitterSamples} samples). ` +
    `Shares under the noise band (${formatMiB(s.noise.noiseBand, 2)}) decide nothing; RSS moved ${formatSignedMiB(s.noise.settleDrift)} over the last ${Math.round(s.noise.settleDriftMs)} ms of settle.`;
}

function accountingTable(rows: readonly PhaseAccounting[]): HTMLElement {
  const parts = ACCOUNTING_PARTS.filter((p) => rows.some((r) => r[p.key] !== undefined));
  return el('table', { className: 'accounting', ariaLabel: 'Where RSS above baseline is' },
    el('caption', {}, 'Where RSS above baseline is, at each phase end (MiB, change since baseline)'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'phase end'), ...parts.map((p) => el('th', { scope: 'col' }, p.label)))),
    el('tbody', {}, ...rows.map((r) => el('tr', { dataset: { phase: r.phase } }, el('th', { scope: 'row' }, r.phase),
      ...parts.map((p) => el('td', { title: r.missing.length ? `not reported: ${r.missing.join(', ')}` : '' }, r[p.key] === undefined ? '—' : ((r[p.key] as number) / 2 ** 20).toFixed(1)))))));
}

// The evidence behind a verdict, as the summary records it (shared/evidence.ts): the run's own
// noise and the threshold it set, the rules that decided (verdict-rules.ts), where RSS above
// baseline is at each phase end, and what would return the kept memory — each remedy a button that
// runs the same experiment again with the remedy laid over the run's own settings.
import type { PhaseAccounting, Remedy, RunInfo, Summary } from '../../../shared/run-record.js';
import { VERDICT_RULES } from '../../../shared/summary.js';
import { el } from '../dom.js';
import { formatMiB, formatSignedMiB } from '../format.js';
import { ALLOCATOR_PARTS, PART_WORDS } from './accounting-bars.js';
import { remedyChanges } from './remedy-request.js';
import { verdictRules } from './verdict-rules.js';

type Part = Exclude<keyof PhaseAccounting, 'phase' | 'missing'>;

/** Columns of the accounting table, in order (each a change since the end of baseline); absent ones are left out. */
export const ACCOUNTING_PARTS: readonly { key: Part; label: string }[] = [
  ...(['rss', 'live', 'freeInRuntime', 'freeInAllocator'] as const).map((key) => ({ key, label: PART_WORDS[key] })),
  ...ALLOCATOR_PARTS.map((key) => ({ key, label: `… ${PART_WORDS[key]}` })),
  ...(['notResident', 'rest', 'unexplained'] as const).map((key) => ({ key, label: PART_WORDS[key] })),
];

/** Runs the experiment again with a remedy (summary-view.ts); absent where runs cannot be started (a report). */
export type Rerun = (run: RunInfo, remedy: Remedy) => Promise<void>;

export function renderEvidence(run: RunInfo, s: Summary, rerun?: Rerun): HTMLElement[] {
  const out: HTMLElement[] = [el('p', { className: 'note' }, rulesText(s))];
  const rules = verdictRules(s);
  if (rules.length > 0) {
    out.push(el('details', { className: 'verdict-rules' },
      el('summary', {}, 'How the verdict is decided: the rules in order (docs/verdicts.md)'),
      el('ol', {}, ...rules.map((r) => el('li', { dataset: { decided: String(r.decided) } }, r.text, r.decided ? el('strong', {}, ' ← decided this run') : '')))));
  }
  if (s.mechanism) out.push(el('p', { className: 'mechanism', dataset: { mechanism: s.mechanism } }, 'Mechanism: ', el('code', {}, s.mechanism)));
  if (s.accounting?.length) out.push(accountingTable(s.accounting));
  if (s.unexplainedPct !== undefined) {
    out.push(el('p', { className: 'note unexplained' }, `Unexplained ≤ ${s.unexplainedPct.toFixed(1)} % of what allocate added, at every phase end ` +
      '(what no figure of the runtime, the allocator or smaps accounts for; memtide holds every catalog experiment to 10 %).'));
  }
  if (s.remedies?.length) {
    out.push(el('h3', { className: 'remedies-title' }, 'What would return it'),
      el('ul', { className: 'remedies' }, ...s.remedies.map((r) => remedyItem(run, r, rerun))));
    if (!rerun) out.push(el('p', { className: 'note' }, 'Open the run in the dashboard to re-run it with a remedy.'));
  }
  return out;
}

function remedyItem(run: RunInfo, remedy: Remedy, rerun: Rerun | undefined): HTMLElement {
  const changes = remedyChanges(remedy);
  const back = remedy.returns === undefined ? '' : ` (≈ ${formatMiB(remedy.returns)} back)`;
  const item = el('li', {});
  if (!changes || !rerun) {
    item.append(changes ? el('span', { className: 'remedy-change' }, `${changes}${back}: `) : '', remedy.text);
    return item;
  }
  const status = el('span', { className: 'note', role: 'status' });
  const button = el('button', { type: 'button', className: 'secondary small remedy', textContent: `Re-run with ${changes}${back}`, dataset: { changes } });
  button.addEventListener('click', () => {
    button.disabled = true;
    status.textContent = ' asked for: it starts when the queue reaches it';
    rerun(run, remedy).catch((e: Error) => {
      button.disabled = false;
      status.textContent = ` could not start it: ${e.message}`;
    });
  });
  item.append(button, status, el('div', { className: 'note' }, remedy.text));
  return item;
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

// The seed's table for a finished run: each step as % of baseline RSS and in MiB, plus the verdict.
import type { HeapSample, Phase, RunInfo } from '../../shared/run-record.js';
import { summaryRows, VERDICT_RULES } from '../../shared/summary.js';
import { formatMiB, formatPct, formatSignedMiB } from './format.js';

export function renderSummary(container: HTMLElement, run: RunInfo | null, heap: readonly HeapSample[] = [], phases: readonly Phase[] = []): void {
  container.replaceChildren();
  if (!run) return;
  if (run.status !== 'finished' || !run.summary) {
    if (run.error) container.innerHTML = `<p class="failure">Run ${run.status}: ${escapeHtml(run.error)}</p>`;
    return;
  }
  const s = run.summary;
  container.innerHTML = `
    <table aria-label="Summary">
      <thead><tr><th>Step</th><th>% of baseline RSS</th><th>MiB</th></tr></thead>
      <tbody>${summaryRows(s)
        .map((r) => `<tr class="${r.total ? 'seed-total' : ''}" data-row="${r.label}"><td>${r.label}</td><td>${formatPct(r.pct)}</td><td>${formatSignedMiB(r.bytes)}</td></tr>`)
        .join('')}</tbody>
    </table>
    <p class="verdict" data-verdict="${s.verdict}"><b>${s.verdict}</b> — ${escapeHtml(s.verdictText.replace(/^[^:]*:\s*/, ''))}</p>
    <p class="note">Baseline RSS ${formatMiB(s.mem0)}, peak ${formatMiB(s.peak)}. Each step is
      100 × (after − before) / baseline, as in the seed; the first four rows are its table (RSS read
      right after each step), the rows after it add the trim phase (when asked for) and settle, when freed pages really go back.
      Verdict: <i>released</i> if RSS ends within max(${VERDICT_RULES.releasedFloorBytes / 2 ** 20} MiB,
      ${VERDICT_RULES.releasedFraction * 100}% of what allocate added) of baseline; otherwise
      <i>still referenced</i> if the runtime's own heap still holds ≥ ${VERDICT_RULES.referencedFraction * 100}% of its growth,
      else <i>retained by allocator</i>.</p>
    ${run.runtime === 'python' ? inProcessTable(heap, phases) : ''}`;
}

const na = (value: number | undefined) => (value === undefined ? 'n/a' : value.toLocaleString());

/** CPython's own figures at each phase end: what pymalloc holds next to what RSS says. */
function inProcessTable(heap: readonly HeapSample[], phases: readonly Phase[]): string {
  const rows = phases.flatMap((p) => {
    const h = heap.find((x) => x.t === p.end && x.phase === p.name);
    if (!h) return [];
    return [`<tr data-phase="${p.name}"><td>${p.name}</td><td>${na(h.allocatedBlocks)}</td><td>${na(h.arenasInUse)}</td>` +
      `<td>${na(h.arenasAllocatedTotal)}</td><td>${h.gcCount ? h.gcCount.join(' / ') : 'n/a'}</td></tr>`];
  });
  return `<table class="inproc" aria-label="CPython figures">
    <thead><tr><th>Phase end</th><th>allocated blocks</th><th>arenas in use</th><th>arenas ever</th><th>gc.get_count()</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>
    <p class="note">From inside the worker: sys.getallocatedblocks(), pymalloc arenas (1 MiB each on 64-bit, from
    sys._debugmallocstats()), gc.get_count(). n/a: not reported (PYTHONMALLOC=malloc has no pymalloc arenas or block count).</p>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

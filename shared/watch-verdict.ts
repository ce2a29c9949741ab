// The verdict on a watched process, in a run's words (record-parts.ts VERDICTS), from what its
// probes gave back: a GC returns what was garbage the runtime had not collected yet; a trim what
// the allocator kept after it was freed; what neither returns stayed — live data, or memory an
// allocator trim cannot reach (pymalloc arenas, V8's own heap). Pure: the server computes it as a
// watch goes, a client can recompute it for an imported record.
import { formatMiB } from './format.js';
import type { Sample } from './run-record.js';
import { MiB } from './units.js';
import type { ProbeResult, WatchVerdict } from './watch-record.js';

export const WATCH_VERDICT_RULES = {
  /** A probe "returned" memory when RSS fell by at least this much… */
  floorBytes: 4 * MiB,
  /** …and by this fraction of RSS before it. */
  floorFraction: 0.1,
  /** The re-fault rate is measured over at most this long after a trim, and needs at least minWindowMs. */
  refaultWindowMs: 10_000,
  minWindowMs: 2000,
  /** RSS that climbs back this fraction of what the trim returned within the window: the memory is reused. */
  refaultFraction: 0.5,
  /** "still referenced" when the runtime's heap after GC holds this fraction of what stayed. */
  referencedFraction: 0.5,
} as const;

const last = (probes: readonly ProbeResult[], kind: ProbeResult['kind']) => probes.findLast((p) => p.kind === kind && p.status === 'done' && p.after);

/** V8 heap used + ArrayBuffers: what the runtime itself still holds (Node only). */
const heapLevel = (p: ProbeResult | undefined) => (p?.after?.heap?.heapUsed === undefined ? undefined : p.after.heap.heapUsed + (p.after.heap.arrayBuffers ?? 0));

/** RSS regained after a trim: bytes per second over the samples that follow it, before the next probe. */
export function refaultRate(trim: ProbeResult, samples: readonly Sample[], nextProbeStart = Infinity): { bytesPerS: number; windowMs: number; regained: number } | undefined {
  if (!trim.after) return undefined;
  const from = trim.after.t;
  const to = Math.min(nextProbeStart, from + WATCH_VERDICT_RULES.refaultWindowMs);
  const end = samples.findLast((s) => s.t >= from && s.t <= to);
  if (!end || end.t - from < WATCH_VERDICT_RULES.minWindowMs) return undefined;
  const regained = end.rss - trim.after.rss;
  return { bytesPerS: (regained * 1000) / (end.t - from), windowMs: end.t - from, regained };
}

/** Undefined until a probe has run: from outside alone, freed-but-kept and live memory look the same. */
export function watchVerdict(probes: readonly ProbeResult[], samples: readonly Sample[]): WatchVerdict | undefined {
  const gc = last(probes, 'gc');
  const trim = last(probes, 'trim');
  if (!gc && !trim) return undefined;
  const returned = (p: ProbeResult | undefined) => (p ? Math.max(0, p.returned ?? 0) : 0);
  const counts = (p: ProbeResult | undefined) => p !== undefined && returned(p) >= Math.max(WATCH_VERDICT_RULES.floorBytes, WATCH_VERDICT_RULES.floorFraction * p.before.rss);
  const latest = [gc, trim].filter((p): p is ProbeResult => p !== undefined).sort((a, b) => a.start - b.start).at(-1)!;
  const stayed = latest.after!.rss;
  const referenced = heapLevel(gc);
  const figures: WatchVerdict = {
    verdict: 'inconclusive',
    text: '',
    ...(gc && { gcReturned: gc.returned }),
    ...(trim && { trimReturned: trim.returned }),
    ...(referenced !== undefined && { referenced }),
    stayed,
  };
  const parts: string[] = [];
  if (gc) parts.push(`GC returned ${formatMiB(returned(gc))}`);
  if (trim) parts.push(`malloc_trim returned ${formatMiB(returned(trim))}`);
  if (referenced !== undefined) parts.push(`the heap still holds ${formatMiB(referenced)}`);
  parts.push(`${formatMiB(stayed)} stayed`);
  const next = trim && probes.find((p) => p.start > trim.start);
  const refault = trim && refaultRate(trim, samples, next?.start);
  if (refault) figures.refaultBytesPerS = refault.bytesPerS;

  if (counts(trim) && returned(trim) >= returned(gc)) {
    figures.verdict = 'retained by allocator';
    const brk = trim!.before.breakdown?.brkHeap;
    const where = brk !== undefined && brk >= 0.5 * returned(trim) ? `, most of it in glibc's brk heap (${formatMiB(brk)} before)` : '';
    figures.text = `The allocator was holding it: malloc_trim returned ${formatMiB(returned(trim))} (${Math.round((100 * returned(trim)) / trim!.before.rss)} % of RSS)${where}.`;
    if (refault) {
      figures.text += refault.regained >= WATCH_VERDICT_RULES.refaultFraction * returned(trim)
        ? ` RSS climbed back ${formatMiB(refault.regained)} in ${(refault.windowMs / 1000).toFixed(1)} s: the process reuses that memory, so trimming periodically would not help.`
        : ` RSS stayed down for ${(refault.windowMs / 1000).toFixed(1)} s (${formatMiB(Math.max(0, refault.regained))} back): a periodic malloc_trim, or MALLOC_TRIM_THRESHOLD_, would keep it low.`;
    }
  } else if (counts(gc)) {
    figures.verdict = 'released';
    figures.text = `It was garbage the runtime had not collected yet: a GC returned ${formatMiB(returned(gc))}.`;
  } else if (referenced !== undefined && referenced >= WATCH_VERDICT_RULES.referencedFraction * stayed) {
    figures.verdict = 'still referenced';
    figures.text = `Live data: after a GC the heap still holds ${formatMiB(referenced)} of the ${formatMiB(stayed)} that stayed.`;
  } else if (gc && trim) {
    // From outside, live objects and memory a trim cannot reach look the same: no claim either way.
    figures.text = `Neither a GC nor malloc_trim returned much: ${formatMiB(stayed)} stayed — live data, or memory a trim cannot reach (pymalloc arenas, fragmented pages).`;
  } else {
    figures.text = `Only ${gc ? 'a GC' : 'a trim'} ran and returned little: run ${gc ? 'trim' : 'a GC'} as well to tell live data from memory the allocator keeps.`;
  }
  figures.text += ` (${parts.join('; ')}.)`;
  return figures;
}

// The verdict in words: what keeps the memory, for the runtime and the allocator in force, and
// which knob would return it and roughly how much. Sources are named where behaviour comes from a
// runtime's internals.
import { formatMiB } from './format.js';
import { SETTLE_MS } from './limits.js';
import type { Remedy } from './run-record.js';
import { VERDICT_RULES, type Mechanism, type VerdictDecision, type VerdictInput } from './verdict.js';

const mib = (bytes: number) => formatMiB(bytes);

type Share = VerdictDecision['shares'][number];

/** One sentence per mechanism: where the bytes are and why they stay. */
function explain(share: Share, input: VerdictInput): string {
  const x = mib(share.bytes);
  const je = input.jemalloc;
  switch (share.mechanism) {
    case 'live-objects':
      return input.runtime === 'node'
        ? `${x} is still live: V8's used heap and the C allocator's in-use bytes (Buffer backing stores) grew by that much and the GC could not free it.${backingStores(share, input)}`
        : `${x} is still live: pymalloc's allocated blocks and malloc's in-use bytes grew by that much and gc.collect() could not free it.`;
    case 'v8-pages': {
      const young = input.newSpace ? ` (its young generation alone holds ${mib(input.newSpace)}: new space grew to that during allocate)` : '';
      return `V8 keeps ${x} of heap pages it has freed${young}, for reuse: it shrinks new space only at a later GC that finds ` +
        'allocation has slowed (v8/src/heap/heap.cc ReduceNewSpaceSize), not while the process idles (seen here: 28.6 MiB kept through 12 s idle, ' +
        '1 MiB after one more gc()), and no malloc knob reaches those pages.';
    }
    case 'pymalloc-arenas': {
      const arenas = input.arenas ? ` (${input.arenas.atEnd} of the ${input.arenas.atAllocate} arenas mapped after allocate are still mapped)` : '';
      return `pymalloc keeps ${x} free inside its arenas${arenas}: an arena goes back to the OS only when every block in it is free, ` +
        'so a few survivors pin whole 1 MiB arenas (CPython Objects/obmalloc.c). pymalloc maps its arenas itself, so malloc_trim and jemalloc cannot reach them.';
    }
    case 'glibc-brk-heap':
      return input.trimmed
        ? `glibc still keeps ${x} free in its brk heap even after malloc_trim(0): free chunks smaller than a page, or pages it could not madvise away.`
        : `glibc keeps ${x} of free chunks in its brk heap ([heap]): it shrinks the heap only from its top (malloc/malloc.c systrim, past M_TRIM_THRESHOLD), ` +
          'and a chunk still in use above the freed ones pins everything below it, so MALLOC_TRIM_THRESHOLD_ cannot help.';
    case 'glibc-thread-arenas': {
      const arenas = input.mallocArenaMax === undefined ? 'up to MALLOC_ARENA_MAX, 8 × cores by default'
        : `here at most MALLOC_ARENA_MAX=${input.mallocArenaMax}, shared once there are more threads`;
      return `glibc keeps ${x} free in its per-thread arenas (malloc/arena.c: a thread that mallocs gets an arena of its own, ${arenas}` +
        `${input.runtime === 'node' ? "; V8's GC helper threads have them too" : ''}). Each arena is a chain of 64 MiB heaps (HEAP_MAX_SIZE) ` +
        "shrunk only from its top (heap_trim), so a block still live near a heap's top keeps everything below it, and what one thread " +
        "freed serves only the threads on its arena: RSS grows with the number of threads. Only the main arena lives in the brk heap.";
    }
    case 'jemalloc-dirty': {
      if (!je) return `jemalloc keeps ${x} of dirty pages: freed, not yet purged.`;
      const decay = je.dirtyDecayMs < 0 ? 'dirty_decay_ms is -1: it never purges them'
        : `dirty_decay_ms is ${je.dirtyDecayMs} ms: it purges them gradually over that time, but only while it runs`;
      const thread = je.backgroundThread ? ' — here its background thread does that even while the process is idle'
        : ' — on later malloc and free calls, or in its background thread, which is off here — so an idle process keeps them';
      return `jemalloc keeps ${x} of dirty pages (freed, not yet purged): ${decay}${je.dirtyDecayMs < 0 ? '' : thread} (jemalloc.net/jemalloc.3.html, opt.dirty_decay_ms).`;
    }
    case 'jemalloc-muzzy':
      return `jemalloc keeps ${x} of muzzy pages: purged lazily with MADV_FREE, which the kernel takes back only under memory pressure, so RSS still counts them` +
        `${je ? ` (muzzy_decay_ms ${je.muzzyDecayMs})` : ''}.`;
    case 'jemalloc-pinned':
      return `jemalloc keeps ${x} in pages that still hold a live allocation: freed regions of slabs a survivor pins, as pymalloc's arenas are pinned ` +
        '(jemalloc.net: stats.active − stats.allocated); no decay or purge returns a page while anything in it lives.';
    case 'jemalloc-metadata':
      return `jemalloc's own bookkeeping grew by ${x} (stats.metadata: extent and radix-tree records for what the run allocated); it keeps it for reuse, no knob returns it.`;
    default:
      return '';
  }
}

const trimRemedy = (back: number): Remedy =>
  ({ text: `Turn on the trim knob: malloc_trim(0) returns free pages anywhere in every arena (expect ≈${mib(back)} back).`, knobs: { trim: true }, returns: back });

/**
 * Node: when most of what is live is ArrayBuffer backing stores, what holds them. A Buffer view keeps
 * its whole backing store, and small Buffer.allocUnsafe() results are views of a shared pool
 * (Node lib/buffer.js: under Buffer.poolSize >>> 1, a slice of an 8 KiB pool ArrayBuffer).
 */
function backingStores(share: Share, input: VerdictInput): string {
  if (input.arrayBuffers === undefined || input.arrayBuffers < 0.5 * share.bytes) return '';
  return ` Of it, ${mib(input.arrayBuffers)} is ArrayBuffer backing stores (process.memoryUsage().arrayBuffers): a Buffer keeps its whole ` +
    'backing store referenced, and so does any slice or subarray of it — Buffer.allocUnsafe() under 4 KiB hands out slices of a shared ' +
    '8 KiB pool (Node lib/buffer.js, Buffer.poolSize), so a few bytes kept of each pin the whole pool slab. Copy what you keep ' +
    '(Buffer.from(slice)) or allocate long-lived bytes with Buffer.allocUnsafeSlow().';
}

/** What would return a share, as a change to the run request. */
function remediesFor(share: Share, input: VerdictInput): Remedy[] {
  const back = share.bytes;
  const je = input.jemalloc;
  switch (share.mechanism) {
    case 'glibc-brk-heap':
      return input.trimmed ? [] : [trimRemedy(back)];
    case 'glibc-thread-arenas': {
      const out = input.trimmed ? [] : [trimRemedy(back)];
      // Fewer arenas: threads share them, so one thread's free chunks serve the next (thread-arenas here: 77 → 9 MiB with 1, → 20 with 2).
      if (input.mallocArenaMax === undefined || input.mallocArenaMax > 2) {
        out.push({ text: 'Or cap the arenas with MALLOC_ARENA_MAX=2: threads then share two arenas and reuse each other\'s free chunks, so RSS stops growing with the number of threads.', knobs: { mallocArenaMax: 2 } });
      }
      return out;
    }
    case 'jemalloc-dirty': {
      const out: Remedy[] = [{ text: `Set dirty_decay_ms to 0: jemalloc purges pages as they are freed (expect ≈${mib(back)} back).`, knobs: { jemallocDirtyDecayMs: 0 }, returns: back }];
      // Measured here (py-seed 10⁷, decay 10 s, background thread): 6 of 32 MiB purged after 12 s idle, all of it by 30 s.
      const settleMs = je ? Math.min(SETTLE_MS.max, 3 * je.dirtyDecayMs + 1000) : SETTLE_MS.max;
      if (je && je.dirtyDecayMs > 0 && !je.backgroundThread) {
        out.push({ text: `Turn on jemalloc's background thread and settle ${settleMs / 1000} s: it purges while the process idles (seen here: all of it within 3 × dirty_decay_ms).`, knobs: { jemallocBackgroundThread: true }, settleMs, returns: back });
      } else if (je && je.dirtyDecayMs > 0 && input.settleMs < settleMs) {
        out.push({ text: `Settle ${settleMs / 1000} s: the background thread purged everything here within 3 × dirty_decay_ms.`, settleMs, returns: back });
      }
      if (!input.trimmed) out.push({ text: `Or the trim knob: under jemalloc it purges every arena (mallctl arena.4096.purge; expect ≈${mib(back)} back).`, knobs: { trim: true }, returns: back });
      return out;
    }
    case 'jemalloc-muzzy':
      return [{ text: `Set muzzy_decay_ms to 0: pages are then really returned, not left for the kernel (expect ≈${mib(back)} back).`, knobs: { jemallocMuzzyDecayMs: 0 }, returns: back }];
    case 'pymalloc-arenas':
      return [{ text: 'Run with PYTHONMALLOC=malloc and the trim knob: objects then live in the C allocator, where malloc_trim(0) returns their free pages (py-fragmentation 10⁶ here: 245.7 MiB kept → 4.2 MiB).', knobs: { pythonMalloc: 'malloc', trim: true } }];
    default:
      return [];
  }
}

export interface VerdictWords {
  verdictText: string;
  remedies: Remedy[];
}

/** The verdict's sentence(s) and what to try, for the decision taken on these inputs. */
export function describeVerdict(decision: VerdictDecision, input: VerdictInput, params: Record<string, number>): VerdictWords {
  const { verdict, mechanism, data, threshold } = decision;
  const rule = `threshold ${mib(threshold)}: the larger of ${mib(VERDICT_RULES.releasedFloorBytes)} and ${VERDICT_RULES.noiseMultiple} × this run's baseline jitter of ${(input.noise.jitter / 1024).toFixed(0)} KiB`;
  const code = input.end ? input.end.rest : 0;
  const kept = `RSS ended ${mib(input.kept)} above baseline${code >= 0.05 * 1024 * 1024 ? ` (${mib(code)} of it code and file pages the run faulted in)` : ''}`;
  const trimmed = input.trimReturned !== undefined ? ` The trim phase returned ${mib(input.trimReturned)}.` : '';
  if (verdict === 'released') {
    return { verdictText: `released: ${kept}; its data kept ${mib(data)} of the ${mib(input.grew)} allocate added, within the ${rule}.${trimmed}`, remedies: [] };
  }
  if (verdict === 'inconclusive') return inconclusive(mechanism, decision, input, params, kept);
  const [top, ...others] = decision.shares;
  // Shares under the threshold are what any run keeps: named nowhere, and no remedy is offered for them.
  const large = others.filter((s) => s.bytes >= threshold);
  const also = large.map((s) => explain(s, input)).join(' ');
  const remedies = [top!, ...large].flatMap((s) => remediesFor(s, input));
  const head = verdict === 'still referenced' ? 'still referenced' : 'retained by allocator';
  return {
    verdictText: `${head}: ${kept}; ${mib(data)} of it is the run's data. ${explain(top!, input)}${also ? ` ${also}` : ''}${trimmed}` +
      (remedies.length > 0 ? ` To return it: ${remedies[0]!.text}` : ''),
    remedies,
  };
}

function inconclusive(mechanism: Mechanism | undefined, decision: VerdictDecision, input: VerdictInput, params: Record<string, number>, kept: string): VerdictWords {
  const { threshold } = decision;
  if (mechanism === 'too-small') {
    const factor = Math.max(2, Math.ceil((4 * threshold) / Math.max(input.grew, 1)));
    const n = params.n;
    const remedies: Remedy[] = n === undefined ? [] : [{ text: `Run with N = ${n * factor} (×${factor}).`, params: { n: n * factor } }];
    return {
      verdictText: `inconclusive: allocate added only ${mib(input.grew)} and ${kept}: too little against this run's threshold of ${mib(threshold)} to tell released from kept. Try a larger N.`,
      remedies,
    };
  }
  const longer = Math.min(SETTLE_MS.max, Math.max(input.settleMs * 5, 5000));
  if (mechanism === 'still-falling') {
    return {
      verdictText: `inconclusive: ${kept}, but RSS was still falling at the end of settle (${mib(input.noise.settleDrift)} over its last ${(input.noise.settleDriftMs / 1000).toFixed(1)} s): ` +
        'the end state was not reached. Try a longer settle.',
      remedies: [{ text: `Settle ${longer / 1000} s.`, settleMs: longer }],
    };
  }
  const explained = decision.shares.reduce((sum, s) => sum + s.bytes, 0);
  const missing = input.missing?.length ? ` (the worker could not report: ${input.missing.join(', ')}${input.missing.includes('allocator') && input.runtime === 'node' ? ' — is koffi installed?' : ''})` : '';
  const figures = input.end ? `the runtime's and the allocator's own figures explain only ${mib(explained)} of the ${mib(decision.data)} of data${missing}` : 'no memory breakdown could be read (/proc/PID/smaps)';
  return {
    verdictText: `inconclusive: ${kept}, but ${figures}. Try a longer settle, or jemalloc with dirty_decay_ms 0 to rule the allocator in or out.`,
    remedies: [{ text: `Settle ${longer / 1000} s.`, settleMs: longer }],
  };
}

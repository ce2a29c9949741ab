// The C allocator as the Node worker sees it, through koffi: glibc's own byte counts (mallinfo2(),
// malloc_info() for the main arena) or, when jemalloc is preloaded, its mallctl stats; and the call
// that hands free memory back (malloc_trim(0), or jemalloc's arena purge). Loaded before baseline,
// so koffi's own memory is part of the baseline.
import type { GlibcFigures, JemallocFigures } from '../../shared/run-record.js';

export interface AllocatorProbe {
  readonly kind: 'glibc' | 'jemalloc';
  figures(): { glibc: GlibcFigures } | { jemalloc: JemallocFigures };
  /** Hands free memory back to the OS now: malloc_trim(0), or mallctl("arena.4096.purge"). */
  trim(): void;
}

type Koffi = typeof import('koffi');

/** MALLCTL_ARENAS_ALL: "every arena" in jemalloc's mallctl names (jemalloc.net/jemalloc.3.html). */
export const ALL_ARENAS = 4096;

/** The jemalloc library the worker runs under (LD_PRELOAD), or undefined under glibc malloc. */
export function preloadedJemalloc(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.LD_PRELOAD ?? '').split(/[ :]/).find((p) => /libjemalloc\.so/.test(p));
}

/** undefined when koffi cannot be loaded (it is an optional dependency): the run then lacks the C allocator's figures. */
export async function loadAllocatorProbe(): Promise<AllocatorProbe | undefined> {
  let koffi: Koffi;
  try {
    koffi = (await import('koffi')).default as unknown as Koffi;
  } catch {
    return undefined;
  }
  const jemalloc = preloadedJemalloc();
  try {
    return jemalloc ? jemallocProbe(koffi, jemalloc) : glibcProbe(koffi);
  } catch {
    return undefined; // an older glibc without mallinfo2, a jemalloc without mallctl: no figures, as without koffi
  }
}

function glibcProbe(koffi: Koffi): AllocatorProbe {
  const libc = koffi.load('libc.so.6');
  const Mallinfo2 = koffi.struct('mallinfo2', {
    arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t',
    usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t',
  });
  const mallinfo2 = libc.func('mallinfo2', Mallinfo2, []) as () => Record<string, number>;
  const mallocTrim = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
  // malloc_info() writes XML to a FILE*: fmemopen() over a buffer allocated now, before baseline.
  const fmemopen = libc.func('void *fmemopen(void *buf, size_t size, const char *mode)') as (buf: Buffer, size: number, mode: string) => unknown;
  const fclose = libc.func('int fclose(void *fp)') as (fp: unknown) => number;
  const mallocInfo = libc.func('int malloc_info(int options, void *fp)') as (options: number, fp: unknown) => number;
  const xml = Buffer.alloc(256 * 1024);
  const mainArena = (): { inUse: number; free: number } | undefined => {
    xml.fill(0, 0, 64);
    const fp = fmemopen(xml, xml.length - 1, 'w');
    if (!fp) return undefined;
    mallocInfo(0, fp);
    fclose(fp);
    return parseMainArena(xml.toString('latin1', 0, xml.indexOf(0)));
  };
  return {
    kind: 'glibc',
    figures() {
      const m = mallinfo2();
      const main = mainArena();
      return {
        glibc: {
          inUse: m.uordblks!, mmapped: m.hblkhd!, free: m.fordblks!,
          ...(main && { mainArenaInUse: main.inUse, mainArenaFree: main.free }),
        },
      };
    },
    trim: () => void mallocTrim(0),
  };
}

/**
 * The main arena's figures from malloc_info()'s XML (glibc malloc/malloc.c __malloc_info): in
 * `<heap nr="0">`, free = the "fast" and "rest" totals, system current = the arena's size; in use
 * is the difference.
 */
export function parseMainArena(xml: string): { inUse: number; free: number } | undefined {
  const start = xml.indexOf('<heap nr="0">');
  if (start < 0) return undefined;
  const heap = xml.slice(start, xml.indexOf('</heap>', start));
  const num = (re: RegExp) => Number(re.exec(heap)?.[1] ?? Number.NaN);
  const free = num(/<total type="fast" count="\d+" size="(\d+)"/) + num(/<total type="rest" count="\d+" size="(\d+)"/);
  const system = num(/<system type="current" size="(\d+)"/);
  if (!Number.isFinite(free) || !Number.isFinite(system)) return undefined;
  return { inUse: Math.max(0, system - free), free };
}

function jemallocProbe(koffi: Koffi, path: string): AllocatorProbe {
  // dlopen of the preloaded library returns the same handle: these are the live allocator's symbols.
  const mallctl = koffi.load(path).func('int mallctl(const char *name, void *oldp, void *oldlenp, void *newp, size_t newlen)') as
    (name: string, oldp: Buffer | null, oldlenp: Buffer | null, newp: Buffer | null, newlen: number) => number;
  const old = Buffer.alloc(8);
  const len = Buffer.alloc(8);
  const epoch = Buffer.alloc(8);
  const read = (name: string, size: 1 | 8 = 8): number => {
    old.fill(0);
    len.writeBigUInt64LE(BigInt(size));
    const rc = mallctl(name, old, len, null, 0);
    if (rc !== 0) throw new Error(`mallctl ${name} failed (${rc})`);
    return size === 1 ? old.readUInt8(0) : Number(old.readBigInt64LE());
  };
  const page = read('arenas.page');
  const settings = {
    dirtyDecayMs: read('opt.dirty_decay_ms'),
    muzzyDecayMs: read('opt.muzzy_decay_ms'),
  };
  return {
    kind: 'jemalloc',
    figures() {
      // The stats are a snapshot, refreshed by writing to "epoch".
      epoch.writeBigUInt64LE(1n);
      len.writeBigUInt64LE(8n);
      mallctl('epoch', old, len, epoch, 8);
      return {
        jemalloc: {
          allocated: read('stats.allocated'),
          active: read('stats.active'),
          metadata: read('stats.metadata'),
          resident: read('stats.resident'),
          retained: read('stats.retained'),
          dirty: read(`stats.arenas.${ALL_ARENAS}.pdirty`) * page,
          muzzy: read(`stats.arenas.${ALL_ARENAS}.pmuzzy`) * page,
          ...settings,
          backgroundThread: read('background_thread', 1) === 1,
        },
      };
    },
    trim: () => void mallctl(`arena.${ALL_ARENAS}.purge`, null, null, null, 0),
  };
}

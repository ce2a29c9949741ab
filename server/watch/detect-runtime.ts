// Which runtime a process runs and which malloc it uses, from outside: the libraries it has mapped
// (/proc/PID/maps), its executable's name, and — for renamed or statically linked binaries — the
// names its executable exports (.dynsym). Measured here: 1-19 ms a process, so results are cached
// per executable file. Debian's python3.11 has libpython built in (exports Py_BytesMain); pyenv's
// maps libpython3.11.so; node exports node_module_register.
import { open, readFile, readlink, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { MallocKind, ProcessRuntime } from '../../shared/watch-record.js';

export interface Detected {
  runtime: ProcessRuntime;
  runtimeVersion?: string;
  allocator: MallocKind;
  /** The library (or executable) that decided the allocator, for messages ("libjemalloc.so.2"). */
  allocatorLibrary?: string;
}

/** The paths of the files a process has mapped (the 6th column of /proc/PID/maps). */
export function mappedFiles(maps: string): string[] {
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const slash = line.indexOf(' /');
    if (slash > 0) files.add(line.slice(slash + 1).replace(/ \(deleted\)$/, ''));
  }
  return [...files];
}

/** Exported names that identify a runtime or an allocator linked into the executable itself. */
export const TELLING_SYMBOLS = ['Py_BytesMain', '_PyRuntime', 'node_module_register', 'mallctl', 'je_mallctl', 'tc_malloc', 'mi_malloc'] as const;

/** Pure: the decision from what was read. `symbols` undefined when the executable could not be read. */
export function detectFrom(exe: string, files: readonly string[], symbols: ReadonlySet<string> | undefined): Detected {
  const find = (re: RegExp) => files.find((f) => re.test(basename(f)));
  const name = basename(exe);
  const libpython = find(/^libpython\d+\.\d+[a-z]*\.so/);
  let runtime: ProcessRuntime = 'other';
  let runtimeVersion: string | undefined;
  if (libpython || /^python\d*(\.\d+)?[a-z]*$/.test(name) || symbols?.has('Py_BytesMain') || symbols?.has('_PyRuntime')) {
    runtime = 'python';
    runtimeVersion = /(\d+\.\d+)/.exec(libpython ? basename(libpython) : name)?.[1];
  } else if (find(/^libnode\.so/) || name === 'node' || name === 'nodejs' || symbols?.has('node_module_register')) {
    runtime = 'node';
  }
  const lib = (re: RegExp, kind: MallocKind): Detected | undefined => {
    const file = find(re);
    return file ? { runtime, runtimeVersion, allocator: kind, allocatorLibrary: basename(file) } : undefined;
  };
  const fromSymbols = (names: string[], kind: MallocKind): Detected | undefined =>
    names.some((n) => symbols?.has(n)) ? { runtime, runtimeVersion, allocator: kind, allocatorLibrary: `${name} (linked in)` } : undefined;
  // A preloaded or linked allocator replaces glibc's malloc even though libc.so.6 is mapped too.
  const detected = lib(/^libjemalloc\.so/, 'jemalloc') ?? lib(/^libtcmalloc(_minimal)?\.so/, 'tcmalloc') ?? lib(/^libmimalloc\.so/, 'mimalloc')
    ?? fromSymbols(['mallctl', 'je_mallctl'], 'jemalloc') ?? fromSymbols(['tc_malloc'], 'tcmalloc') ?? fromSymbols(['mi_malloc'], 'mimalloc')
    ?? lib(/^(ld-musl|libc\.musl)/, 'musl') ?? lib(/^libc(\.so\.6|-2\.\d+\.so)$/, 'glibc');
  return detected ?? { runtime, runtimeVersion, allocator: 'unknown' };
}

const SHT_DYNSYM = 11;

/** Which of `wanted` an ELF64 file exports (.dynsym's string table); undefined if it is not one. */
export async function exportedNames(path: string, wanted: readonly string[]): Promise<Set<string> | undefined> {
  const file = await open(path, 'r');
  try {
    const read = async (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await file.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    };
    const header = await read(0, 64);
    if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined; // ELF64 LE only
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    if (shentsize < 0x40 || shnum === 0 || shnum > 4096) return undefined;
    const sections = await read(shoff, shentsize * shnum);
    const section = (i: number) => ({
      type: sections.readUInt32LE(i * shentsize + 4),
      offset: Number(sections.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(sections.readBigUInt64LE(i * shentsize + 0x20)),
      link: sections.readUInt32LE(i * shentsize + 0x28),
    });
    for (let i = 0; i < shnum && (i + 1) * shentsize <= sections.length; i++) {
      const dynsym = section(i);
      if (dynsym.type !== SHT_DYNSYM || dynsym.link >= shnum) continue;
      const strtab = section(dynsym.link);
      if (strtab.size > 64 * 1024 * 1024) return undefined;
      const names = (await read(strtab.offset, strtab.size)).toString('latin1');
      return new Set(wanted.filter((w) => names.includes(`\0${w}\0`)));
    }
    return new Set();
  } finally {
    await file.close();
  }
}

/** Exports per executable file (device, inode, size, mtime): many processes share one binary. */
const symbolCache = new Map<string, Set<string> | undefined>();

async function executableSymbols(pid: number): Promise<Set<string> | undefined> {
  const path = `/proc/${pid}/exe`;
  try {
    const s = await stat(path);
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    if (!symbolCache.has(key)) {
      if (symbolCache.size > 512) symbolCache.clear();
      symbolCache.set(key, await exportedNames(path, TELLING_SYMBOLS));
    }
    return symbolCache.get(key);
  } catch {
    return undefined;
  }
}

/** Undefined when the process has gone or its maps cannot be read (another user's, not dumpable). */
export async function detectProcess(pid: number): Promise<(Detected & { exe: string }) | undefined> {
  let exe: string;
  let maps: string;
  try {
    [exe, maps] = await Promise.all([readlink(`/proc/${pid}/exe`), readFile(`/proc/${pid}/maps`, 'latin1')]);
  } catch {
    return undefined;
  }
  return { exe, ...detectFrom(exe, mappedFiles(maps), await executableSymbols(pid)) };
}

/** Why malloc_trim(0) would not give this process's memory back, or undefined for glibc. */
export function trimRefusal(pid: number, detected: Detected | undefined): string | undefined {
  if (!detected) return `trim: the memory maps of pid ${pid} cannot be read, so its allocator is unknown`;
  const { allocator, allocatorLibrary } = detected;
  if (allocator === 'glibc') return undefined;
  if (allocator === 'musl') return `trim: pid ${pid} uses musl's malloc, which has no malloc_trim`;
  if (allocator === 'unknown') return `trim: pid ${pid} has no glibc mapped (a static binary?): its allocator is unknown, so memtide will not call malloc_trim in it`;
  return `trim: pid ${pid} allocates with ${allocator} (${allocatorLibrary}), not glibc's malloc: malloc_trim(0) would not return its memory`;
}

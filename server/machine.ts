// What this machine can run: python3, libjemalloc, koffi and glibc, probed once and cached; and the
// catalog as this machine offers it, each experiment and each of its knobs marked available or
// not, with the reason.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CATALOG, type CatalogEntry } from '../shared/catalog/index.js';
import { knobSpec, knobsFor, onlyWithOf, type KnobName, type Knobs } from '../shared/knobs.js';
import type { Experiment, KnobAvailability } from '../shared/catalog/experiment.js';
import type { Runtime } from '../shared/runtimes.js';
import { projectRoot } from './paths.js';
import { quote } from '../shared/validation.js';

/** What memtide found on this machine; a string is the reason something is missing. */
export interface Machine {
  python: { command: string; version: string; mallocTrim: true | string } | string;
  /** Path of libjemalloc.so.2, or why there is none. */
  jemalloc: { path: string } | string;
  /** koffi can load libc's malloc_trim in a Node process, or why not. */
  koffi: true | string;
  /** glibc's version, or why the glibc knobs cannot apply. */
  glibc: { version: string } | string;
}

const PYTHON_PROBE = [
  'import json, platform, ctypes',
  'try:\n    ctypes.CDLL("libc.so.6").malloc_trim; trim = True',
  'except Exception as e:\n    trim = "ctypes cannot find malloc_trim in libc.so.6: %s" % e',
  'print(json.dumps({"version": platform.python_version(), "mallocTrim": trim}))',
].join('\n');

/** What a probe's child did: spawnSync's fields, also filled from execFile's callback. */
interface ProbeResult { error?: Error; status: number | null; stdout: string; stderr: string }

/** One probe's child, run without blocking the event loop (spawnSync held the first WebSocket hello ~125 ms). */
function probeAsync(command: string, args: string[], options: { cwd?: string; timeout: number }): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      // A spawn failure (ENOENT…) has a string code; a non-zero exit has a number.
      if (error && typeof code === 'string') return resolve({ error, status: null, stdout, stderr });
      resolve({ status: error ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
    });
  });
}

export function probePython(command = process.env.MEMTIDE_PYTHON ?? 'python3'): Machine['python'] {
  return pythonFrom(command, spawnSync(command, ['-c', PYTHON_PROBE], { encoding: 'utf8', timeout: 10_000 }));
}

function pythonFrom(command: string, result: ProbeResult): Machine['python'] {
  if (result.error) return `${command} not found (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): install python3`;
  if (result.status !== 0) return `${command} failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.status}`}`;
  let found: { version: string; mallocTrim: true | string };
  try {
    // The last line: a sitecustomize or a noisy startup may print before the probe does.
    found = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as typeof found;
  } catch {
    return `${command} answered the probe with something that is not JSON: ${quote(result.stdout)}`;
  }
  const [major, minor] = found.version.split('.').map(Number);
  if (major! < 3 || (major === 3 && minor! < 8)) return `${command} is Python ${found.version}; memtide needs ≥ 3.8`;
  return { command, ...found };
}

const JEMALLOC_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

/** "libjemalloc.so.2 (libc6,x86-64) => /usr/lib/…/libjemalloc.so.2" lines of `ldconfig -p`. */
export function parseLdconfigJemalloc(text: string): string | undefined {
  return /libjemalloc\.so\.2 \([^)]*\) => (\S+)/.exec(text)?.[1];
}

export function probeJemalloc(): Machine['jemalloc'] {
  const override = process.env.MEMTIDE_JEMALLOC;
  if (override !== undefined) return existsSync(override) ? { path: override } : `MEMTIDE_JEMALLOC=${override} does not exist`;
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const result = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5_000 });
    const path = result.status === 0 ? parseLdconfigJemalloc(result.stdout) : undefined;
    if (path && existsSync(path)) return { path };
  }
  const found = JEMALLOC_DIRS.map((d) => `${d}/libjemalloc.so.2`).find((p) => existsSync(p));
  return found ? { path: found } : 'libjemalloc.so.2 not found (apt-get install libjemalloc2)';
}

const KOFFI_PROBE = "const k = require('koffi'); k.load('libc.so.6').func('int malloc_trim(size_t pad)'); console.log('ok')";

export function probeKoffi(): Machine['koffi'] {
  return koffiFrom(spawnSync(process.execPath, ['-e', KOFFI_PROBE], { cwd: projectRoot, encoding: 'utf8', timeout: 10_000 }));
}

function koffiFrom(result: ProbeResult): Machine['koffi'] {
  if (result.status === 0) return true;
  const last = result.stderr.split('\n').find((l) => /Error/.test(l))?.trim() ?? `exit ${result.status}`;
  return `koffi cannot load malloc_trim from libc.so.6 (${last}): npm install koffi`;
}

export function probeGlibc(): Machine['glibc'] {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? { version: header.glibcVersionRuntime } : 'not a glibc system: MALLOC_* variables would be ignored';
}

let cached: Machine | undefined;
export function machine(): Machine {
  cached ??= { python: probePython(), jemalloc: probeJemalloc(), koffi: probeKoffi(), glibc: probeGlibc() };
  return cached;
}

/**
 * The same probes, the two slow ones (~60 ms each: a python3 and a node start) side by side and off
 * the event loop; the server awaits it before it listens, so no request or hello waits on them.
 */
export async function probeMachine(): Promise<Machine> {
  if (cached) return cached;
  const command = process.env.MEMTIDE_PYTHON ?? 'python3';
  const [python, koffi] = await Promise.all([
    probeAsync(command, ['-c', PYTHON_PROBE], { timeout: 10_000 }).then((r) => pythonFrom(command, r)),
    probeAsync(process.execPath, ['-e', KOFFI_PROBE], { cwd: projectRoot, timeout: 10_000 }).then(koffiFrom),
  ]);
  cached ??= { python, jemalloc: probeJemalloc(), koffi, glibc: probeGlibc() };
  return cached;
}

const reasonOf = (found: object | true | string): string | undefined => (typeof found === 'string' ? found : undefined);

/** Why a knob cannot be used for this runtime on this machine, or undefined. */
export function knobUnavailableReason(name: KnobName, runtime: Runtime, m: Machine): string | undefined {
  if (onlyWithOf(name) === 'jemalloc' || name === 'allocator') return reasonOf(m.jemalloc);
  if (onlyWithOf(name) === 'glibc') return reasonOf(m.glibc);
  if (name === 'pythonMalloc') return reasonOf(m.python);
  if (name === 'trim') {
    if (runtime === 'node') return reasonOf(m.koffi);
    return typeof m.python === 'string' ? m.python : reasonOf(m.python.mallocTrim);
  }
  return undefined;
}

export function knobAvailability(runtime: Runtime, m: Machine): KnobAvailability[] {
  return knobsFor(runtime).map((name) => {
    const reason = knobUnavailableReason(name, runtime, m);
    return { ...knobSpec(name), available: reason === undefined, ...(reason ? { unavailableReason: reason } : {}) };
  });
}

/** Why an experiment cannot run on this machine (its runtime, or what else it needs is missing), or undefined. */
export function experimentUnavailableReason(entry: Pick<CatalogEntry, 'runtime' | 'needs'>, m: Machine): string | undefined {
  if (entry.runtime === 'python') return reasonOf(m.python);
  return entry.needs?.includes('koffi') ? reasonOf(m.koffi) : undefined;
}

export function catalogFor(m: Machine): Experiment[] {
  return CATALOG.map((entry) => {
    const reason = experimentUnavailableReason(entry, m);
    return { ...entry, knobs: knobAvailability(entry.runtime, m), available: reason === undefined, ...(reason ? { unavailableReason: reason } : {}) };
  });
}

export function availableCatalog(): Experiment[] {
  return catalogFor(machine());
}

/** The first knob asked for that this machine cannot honour: "knobs.x: not available here: why". */
export function firstUnavailableKnob(knobs: Knobs, runtime: Runtime, m: Machine): string | undefined {
  for (const name of Object.keys(knobs) as KnobName[]) {
    if (knobs[name] === undefined || (name === 'allocator' && knobs.allocator !== 'jemalloc')) continue;
    const reason = knobUnavailableReason(name, runtime, m);
    if (reason) return `knobs.${name}: not available on this machine: ${reason}`;
  }
  return undefined;
}

// The watches going on: created from a checked request (nothing reaches a refused target), at most
// WATCH_LIMITS.maxWatches at once, one per process; ended ones are stored like runs (kind 'watch').
import { randomBytes } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import { WATCH_LIMITS } from '../../shared/limits.js';
import { CreateWatchBody, MarkerBody, ProbeBody, type ProcessListAnswer } from '../../shared/protocol/http.js';
import { runInfo, type RunInfo, type RunRecord } from '../../shared/run-record.js';
import { describeZodError } from '../../shared/validation.js';
import type { Marker, ProbePermission, WatchTarget } from '../../shared/watch-record.js';
import { isLoopbackHost } from '../security.js';
import { locateProcessCgroup } from './cgroup-memory.js';
import { detectProcess } from './detect-runtime.js';
import { gdbAvailability } from './gdb-probe.js';
import { describeScope, listProcesses, userName } from './process-list.js';
import { currentAsker, readProcStat, readProcStatus, stillSameProcess, watchRefusal } from './process-identity.js';
import type { RunEvents } from '../run-events.js';
import { Watch, type ProbeAnswer } from './watch.js';

export interface WatchRegistryOptions {
  /** Where watches send their events and samples (ws-hub.ts, or the CLI). */
  events: RunEvents;
  /**
   * Stores an ended watch with the runs (RunRegistry.storeEnded), before watch-ended is sent; may
   * give back the record as told (with `unsaved` when the database could not take it yet).
   */
  storeEnded(record: RunRecord): RunRecord | void;
  /** An ended watch, for GET /api/watches/:id. */
  findEnded?(id: string): RunRecord | undefined;
  /** Default sampling rate (runs' default: 1 kHz where /proc exists). */
  sampleHz: number;
  /** Probes at all: off when the server listens beyond loopback without MEMTIDE_ALLOW_PROBES=1. */
  probePolicy: ProbePermission;
  probeTimeoutMs?: number;
  interruptGraceMs?: number;
  settleMs?: number;
  gdbPath?: string;
  log?(line: string): void;
}

export type Failure = { ok: false; status: 400 | 403 | 404 | 409 | 429 | 503; error: string };

/** Probes are off when the server can be reached from other machines, unless explicitly allowed. */
export function probePolicy(host: string, allowProbes: boolean): ProbePermission {
  if (isLoopbackHost(host) || allowProbes) return { allowed: true };
  return { allowed: false, reason: `the server listens on ${host}, beyond loopback: probes are off unless MEMTIDE_ALLOW_PROBES=1` };
}

/** gdb probes as the server allows them: gdb installed, and probes allowed by the policy. */
export function gdbProbesAllowed(policy: ProbePermission, gdbPath?: string): ProbePermission {
  if (!policy.allowed) return policy;
  const gdb = gdbAvailability(gdbPath);
  return gdb.allowed ? { allowed: true } : { allowed: false, reason: gdb.reason };
}

/** GET /api/processes, and `memtide ps`. */
export async function processListAnswer(policy: ProbePermission, gdbPath?: string): Promise<ProcessListAnswer> {
  return { processes: await listProcesses(), uid: currentAsker().uid, scope: describeScope(), gdbProbes: gdbProbesAllowed(policy, gdbPath), inspectorProbes: policy };
}

const newWatchId = (): string => `watch-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export class WatchRegistry {
  private readonly live = new Map<string, Watch>();
  private closing = false;

  constructor(private readonly options: WatchRegistryOptions) {}

  gdbProbes(): ProbePermission {
    return gdbProbesAllowed(this.options.probePolicy, this.options.gdbPath);
  }

  processes(): Promise<ProcessListAnswer> {
    return processListAnswer(this.options.probePolicy, this.options.gdbPath);
  }

  async create(body: unknown): Promise<{ ok: true; id: string } | Failure> {
    if (this.closing) return { ok: false, status: 503, error: 'the server is shutting down' };
    const parsed = CreateWatchBody.safeParse(body);
    if (!parsed.success) return { ok: false, status: 400, error: typeof body === 'object' && body !== null && !Array.isArray(body) ? describeZodError(parsed.error) : 'body: must be a JSON object like {"pid": 1234}' };
    const { pid, sampleHz = this.options.sampleHz, probes = false, durationS = WATCH_LIMITS.maxSamples / sampleHz } = parsed.data;
    const refusal = watchRefusal(pid);
    if (refusal) return { ok: false, status: refusal.status, error: refusal.reason };
    const busy = (): Failure | undefined =>
      [...this.live.values()].some((w) => w.pid === pid) ? { ok: false, status: 409, error: `pid: ${pid} is being watched already` }
      : this.live.size >= WATCH_LIMITS.maxWatches ? { ok: false, status: 429, error: `${WATCH_LIMITS.maxWatches} watches are going on: stop one first` }
      : undefined;
    if (busy()) return busy()!;
    const target = await this.describe(pid);
    // Checked again after the (async) description: the process described is the one allowed, and
    // no other request took the pid or the last place meanwhile.
    const again = watchRefusal(pid);
    if (again) return { ok: false, status: again.status, error: again.reason };
    if (!target || !stillSameProcess(target)) return { ok: false, status: 404, error: `pid: no process ${pid}` };
    if (busy() || this.closing) return busy() ?? { ok: false, status: 503, error: 'the server is shutting down' };
    const gdbProbes: ProbePermission = probes ? this.gdbProbes() : { allowed: false, reason: 'this watch was started with gdb probes off ("Allow gdb probes" in the dashboard, probes: true in the API, --gc or --trim on the command line): gdb stops the process while it is attached' };
    const cgroup = locateProcessCgroup(pid);
    const watch: Watch = new Watch({
      id: newWatchId(),
      target,
      ...(cgroup && { cgroup }),
      sampleHz,
      durationS: Math.min(durationS, WATCH_LIMITS.maxDurationS),
      probes: { gdbProbes, inspectorProbes: this.options.probePolicy, timeoutMs: this.options.probeTimeoutMs ?? WATCH_LIMITS.probeTimeoutMs, gdbPath: this.options.gdbPath, interruptGraceMs: this.options.interruptGraceMs },
      settleMs: this.options.settleMs,
      events: this.options.events,
      onEnd: (record) => this.ended(record),
    });
    this.live.set(watch.id, watch);
    try {
      watch.start();
    } catch (error) {
      // Only the main-thread fallback sampler opens statm here: the process went meanwhile.
      this.live.delete(watch.id);
      return { ok: false, status: 404, error: `pid: ${pid} could not be read: ${(error as Error).message}` };
    }
    return { ok: true, id: watch.id };
  }

  list(): RunInfo[] {
    return [...this.live.values()].map((w) => w.info());
  }

  get(id: string): RunRecord | undefined {
    return this.live.get(id)?.snapshot() ?? this.options.findEnded?.(id);
  }

  addMarker(id: string, body: unknown): { ok: true; marker: Marker } | Failure {
    const watch = this.live.get(id);
    if (!watch) return this.missing(id);
    const parsed = MarkerBody.safeParse(body);
    if (!parsed.success) return { ok: false, status: 400, error: describeZodError(parsed.error) };
    const marker = watch.addMarker(parsed.data.label);
    return marker ? { ok: true, marker } : { ok: false, status: 409, error: `label: the watch has ended or holds ${WATCH_LIMITS.maxMarkers} markers` };
  }

  async probe(id: string, body: unknown): Promise<ProbeAnswer | Failure> {
    const watch = this.live.get(id);
    if (!watch) return this.missing(id);
    const parsed = ProbeBody.safeParse(body);
    if (!parsed.success) return { ok: false, status: 400, error: describeZodError(parsed.error) };
    return watch.probe(parsed.data.kind);
  }

  /** Resolves once the watch is stored (after a probe in flight has ended). */
  async stop(id: string): Promise<{ ok: true } | Failure> {
    const watch = this.live.get(id);
    if (!watch) return this.missing(id);
    await watch.stop();
    return { ok: true };
  }

  async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.live.values()].map((w) => w.stop('the server shut down')));
  }

  private missing(id: string): Failure {
    return this.options.findEnded?.(id)?.kind === 'watch'
      ? { ok: false, status: 409, error: `id: watch ${id} has ended` }
      : { ok: false, status: 404, error: `id: no watch "${id}"` };
  }

  /** On disk before anyone hears the watch ended. */
  private ended(record: RunRecord): void {
    let told = record;
    try {
      told = this.options.storeEnded(record) ?? record;
    } catch (error) {
      this.options.log?.(`memtide: could not store watch ${record.id}: ${(error as Error).message}`);
    }
    this.live.delete(record.id);
    this.options.events.send({ type: 'watch-ended', runId: record.id, run: runInfo(told) });
  }

  /** Everything the watch needs to know about its target, read once (from /proc only). */
  private async describe(pid: number): Promise<WatchTarget | undefined> {
    const stat = readProcStat(pid);
    const status = readProcStatus(pid);
    if (!stat || !status) return undefined;
    const [found, cmdline, exe] = await Promise.all([
      detectProcess(pid),
      readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => ''),
      readlink(`/proc/${pid}/exe`).catch(() => undefined),
    ]);
    const uid = status.uids[0] ?? 0;
    const user = userName(uid);
    return {
      pid,
      ppid: stat.ppid,
      uid,
      ...(user && { user }),
      comm: stat.comm,
      command: cmdline.split('\0').filter(Boolean).join(' ') || `[${stat.comm}]`,
      ...(exe && { exe }),
      runtime: found?.runtime ?? 'other',
      ...(found?.runtimeVersion && { runtimeVersion: found.runtimeVersion }),
      allocator: found?.allocator ?? 'unknown',
      starttime: stat.starttime,
    };
  }
}

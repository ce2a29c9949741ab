// One watch of a running process: its RSS from statm at up to 1 kHz (the runs' sampler),
// where its memory is at an adaptive rate (memory-reader.ts), its cgroup, markers, and probes one
// at a time. It ends when stopped, at its duration or sample cap, or when the process exits; it
// never signals or kills the process itself — only a probe does, as asked.
import { runInfo, type HeapSample, type RunInfo, type RunRecord } from '../../shared/run-record.js';
import { now } from '../../shared/units.js';
import { WATCH_LIMITS } from '../../shared/limits.js';
import type { Marker, ProbeKind, ProbeResult, ProbeSnapshot, WatchTarget, WatchTimeline } from '../../shared/watch-record.js';
import { watchVerdict } from '../../shared/watch-verdict.js';
import { samplingStats } from '../sampling/sampling-stats.js';
import { BATCH_MS, IDLE_BATCH_MS, startRssSampler, type RssSampler } from '../sampling/rss-sampler.js';
import { SampleLog, sampleCount, type PackedSamples } from '../sampling/packed-samples.js';
import { openStatm } from '../sampling/proc-statm.js';
import type { RunEvents } from '../run-events.js';
import type { CgroupLocation } from './cgroup-memory.js';
import { startMemoryReader, type MemoryReader } from './memory-reader.js';
import { executeProbe, planProbe, type ProbeSettings } from './probe-runner.js';
import { stillSameProcess } from './process-identity.js';

/** How often the watch checks that its process is still the one it started on. */
const IDENTITY_POLL_MS = 200;

export interface WatchOptions {
  id: string;
  target: WatchTarget;
  cgroup?: CgroupLocation;
  sampleHz: number;
  durationS: number;
  probes: ProbeSettings;
  settleMs?: number;
  /** Where the watch's events and RSS samples go (ws-hub.ts, or the CLI). */
  events: RunEvents;
  /** Called once, with the final record: the registry stores it. */
  onEnd(record: RunRecord): void;
}

export type ProbeAnswer = { ok: true; probe: ProbeResult } | { ok: false; status: 403 | 409 | 503; error: string };

export class Watch {
  /** Everything but the RSS samples, which stay packed in `samples` until the record is asked for. */
  private readonly record: RunRecord & { watchTimeline: WatchTimeline };
  private readonly samples = new SampleLog();
  private sampler?: RssSampler;
  private memory?: MemoryReader;
  private timers: NodeJS.Timeout[] = [];
  private probing?: Promise<ProbeAnswer>;
  private ending?: Promise<void>;

  constructor(private readonly options: WatchOptions) {
    const { id, target, sampleHz, durationS, probes } = options;
    this.record = {
      id,
      kind: 'watch',
      experiment: 'watch',
      runtime: target.runtime,
      params: { pid: target.pid },
      knobs: {},
      workerEnv: {},
      status: 'running',
      createdAt: now(),
      pid: target.pid,
      ...(target.runtimeVersion && { runtimeVersion: target.runtimeVersion }),
      ...((target.allocator === 'glibc' || target.allocator === 'jemalloc') && { mallocLibrary: target.allocator }),
      sampleHz,
      sampler: 'none',
      summary: null,
      watch: { target: { ...target, ...(options.cgroup && { cgroup: options.cgroup }) }, gdbProbes: probes.gdbProbes, durationS },
      phases: [],
      samples: [],
      heap: [],
      breakdowns: [],
      watchTimeline: { markers: [], probes: [], breakdowns: [], cgroup: [], smapsRates: [] },
    };
  }

  get id(): string {
    return this.record.id;
  }

  get ended(): boolean {
    return this.ending !== undefined;
  }

  get pid(): number {
    return this.options.target.pid;
  }

  info(): RunInfo {
    return runInfo(this.record);
  }

  /** The whole record, samples unpacked (a copy: it does not change under the caller). */
  snapshot(): RunRecord {
    return { ...this.record, samples: this.samples.toSamples() };
  }

  start(): void {
    const { target, sampleHz, durationS, events } = this.options;
    const send = events.send.bind(events);
    const timeline = this.record.watchTimeline;
    this.sampler = startRssSampler(target.pid, sampleHz, (batch) => this.addSamples(batch), { batchMs: this.batchMs() });
    this.record.sampler = this.sampler.method;
    this.memory = startMemoryReader(target.pid, this.options.cgroup, (event) => {
      if (this.ended) return;
      if (event.type === 'breakdown') {
        timeline.breakdowns.push(event.breakdown);
        send({ type: 'watch-breakdown', runId: this.id, breakdown: event.breakdown });
      } else if (event.type === 'cgroup') {
        timeline.cgroup.push(event.cgroup);
        send({ type: 'watch-cgroup', runId: this.id, cgroup: event.cgroup });
      } else if (event.type === 'rate') {
        timeline.smapsRates.push(event.rate);
        send({ type: 'watch-rate', runId: this.id, rate: event.rate });
      } else if (event.type === 'unreadable' && event.tag === undefined) {
        this.record.error = `no breakdown: ${event.error}`;
      } else if (event.type === 'gone') void this.stop('the process exited');
    });
    const identity = { pid: target.pid, starttime: target.starttime };
    this.timers.push(setInterval(() => {
      if (!stillSameProcess(identity)) void this.stop('the process exited');
      this.sampler?.setBatchMs(this.batchMs()); // a dashboard opened or closed meanwhile
    }, IDENTITY_POLL_MS));
    this.timers.push(setTimeout(() => void this.stop(`reached its duration (${durationS} s)`), durationS * 1000));
    send({ type: 'watch-started', run: this.info() });
  }

  addMarker(label: string): Marker | undefined {
    const markers = this.record.watchTimeline.markers;
    if (this.ended || markers.length >= WATCH_LIMITS.maxMarkers) return undefined;
    const marker = { t: now(), label };
    markers.push(marker);
    this.options.events.send({ type: 'watch-marker', runId: this.id, marker });
    return marker;
  }

  /** Runs one probe and answers once RSS was read again settleMs after it. One at a time. */
  probe(kind: ProbeKind): Promise<ProbeAnswer> {
    if (this.ended) return Promise.resolve({ ok: false, status: 409, error: `${kind}: the watch has ended` });
    if (this.probing) return Promise.resolve({ ok: false, status: 409, error: `${kind}: a probe is running in this watch: wait for it to end` });
    if (this.record.watchTimeline.probes.length >= WATCH_LIMITS.maxProbes) return Promise.resolve({ ok: false, status: 409, error: `${kind}: this watch has run ${WATCH_LIMITS.maxProbes} probes already` });
    this.probing = this.runProbe(kind).finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async runProbe(kind: ProbeKind): Promise<ProbeAnswer> {
    const { target, probes: settings, events } = this.options;
    const send = events.send.bind(events);
    const plan = await planProbe(kind, target, settings);
    if (!plan.ok) return plan;
    const before = await this.probeSnapshot();
    const probe: ProbeResult = { id: this.record.watchTimeline.probes.length + 1, kind, method: plan.method === 'inspector' ? 'inspector' : 'gdb', status: 'running', start: now(), before };
    this.record.watchTimeline.probes.push(probe);
    send({ type: 'watch-probe', runId: this.id, probe: { ...probe } });
    const outcome = await executeProbe(plan, target, settings);
    const { heapBefore, heapAfter, ...rest } = outcome;
    Object.assign(probe, rest, { end: now() });
    if (heapBefore) probe.before.heap = heapBefore;
    if (heapBefore && heapAfter) this.addHeap([{ ...heapBefore, t: probe.start }, { ...heapAfter, t: probe.end! }]);
    await new Promise((r) => setTimeout(r, this.options.settleMs ?? WATCH_LIMITS.probeSettleMs));
    const after = stillSameProcess({ pid: target.pid, starttime: target.starttime }) ? await this.probeSnapshot() : undefined;
    if (after) {
      probe.after = { ...after, ...(heapAfter && { heap: heapAfter }) };
      probe.returned = before.rss - after.rss;
    }
    this.record.watch!.verdict = watchVerdict(this.record.watchTimeline.probes, this.samples.toSamples());
    send({ type: 'watch-probe', runId: this.id, probe: { ...probe } });
    return { ok: true, probe };
  }

  /** RSS now (statm) and a breakdown read now by the memory thread. */
  private async probeSnapshot(): Promise<ProbeSnapshot> {
    const t = now();
    let rss = 0;
    try {
      const statm = openStatm(this.options.target.pid);
      rss = statm.read() ?? rss;
      statm.close();
    } catch {
      // gone: the last sample stands
    }
    const breakdown = await this.memory?.readNow();
    return { t, rss, ...(breakdown && { breakdown }) };
  }

  /** Ends the watch: waits for a probe in flight (gdb is never cut short here), then stores it. */
  stop(reason = 'stopped by the user'): Promise<void> {
    this.ending ??= this.end(reason);
    return this.ending;
  }

  private async end(reason: string): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.probing;
    await Promise.all([this.sampler?.stop(), this.memory?.stop()]);
    const { record } = this;
    const samples = this.samples.toSamples();
    const stats = samplingStats(samples);
    Object.assign(record, { status: 'finished', endedAt: now(), ...(stats && { achievedHz: stats.achievedHz, sampleGapP99Ms: stats.gapP99Ms }) });
    record.watch!.endReason = reason;
    record.watch!.verdict = watchVerdict(record.watchTimeline.probes, samples);
    this.options.onEnd({ ...record, samples });
  }

  private addSamples(batch: PackedSamples): void {
    if (this.ended || batch.length === 0) return;
    const room = WATCH_LIMITS.maxSamples - this.samples.count;
    const kept = sampleCount(batch) > room ? batch.subarray(0, 2 * room) : batch;
    this.samples.append(kept);
    this.options.events.samples(this.id, kept);
    if (sampleCount(kept) === room) void this.stop(`reached ${WATCH_LIMITS.maxSamples.toLocaleString('en-US')} samples`);
  }

  /** Short batches only while someone watches live: each batch wakes this thread. */
  private batchMs(): number {
    return this.options.events.watching() ? BATCH_MS : IDLE_BATCH_MS;
  }

  private addHeap(heap: HeapSample[]): void {
    this.record.heap.push(...heap);
    this.options.events.send({ type: 'heap', runId: this.id, heap });
  }
}

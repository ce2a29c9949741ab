// Every run the server knows of, and the rule that only one runs at a time.
import { randomBytes } from 'node:crypto';
import { findExperiment, resolveParams } from '../shared/catalog.js';
import { CreateRunBody, describeZodError, type RunInfo, type RunRecord, type ServerMessage } from '../shared/schemas.js';
import { Run, runInfo } from './run.js';
import { hasProc } from './sampling/proc-statm.js';
import { prewarmSamplerThread } from './sampling/rss-sampler.js';

/** 1 kHz where /proc lets a thread read RSS in ~3 µs; pidusage (~0.3 ms a call) elsewhere. */
export const DEFAULT_SAMPLE_HZ = hasProc() ? 1000 : 20;

export type CreateResult = { ok: true; id: string } | { ok: false; status: 400 | 409 | 500; error: string };

export interface RegistryOptions {
  send(message: ServerMessage): void;
  sampleHz?: number;
}

const newRunId = (): string => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private active?: Run;

  constructor(private readonly options: RegistryOptions) {
    prewarmSamplerThread();
  }

  create(body: unknown): CreateResult {
    const parsed = CreateRunBody.safeParse(body);
    if (!parsed.success) return { ok: false, status: 400, error: describeZodError(parsed.error) };
    const experiment = findExperiment(parsed.data.experiment);
    if (!experiment) return { ok: false, status: 400, error: `experiment: unknown experiment "${parsed.data.experiment}"` };
    const params = resolveParams(experiment, parsed.data.params);
    if (!params.ok) return { ok: false, status: 400, error: params.error };
    if (this.active) {
      return { ok: false, status: 409, error: `run ${this.active.id} (${this.active.record.experiment}) is in progress: wait for it or cancel it` };
    }
    const run = new Run({
      id: newRunId(),
      experiment,
      params: params.params,
      sampleHz: parsed.data.sampleHz ?? this.options.sampleHz ?? DEFAULT_SAMPLE_HZ,
      send: this.options.send,
      onEnd: (ended) => {
        if (this.active === ended) this.active = undefined;
      },
    });
    try {
      run.start();
    } catch (error) {
      return { ok: false, status: 500, error: `could not start the worker: ${(error as Error).message}` };
    }
    this.runs.set(run.id, run);
    this.active = run;
    return { ok: true, id: run.id };
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id)?.record;
  }

  list(): RunInfo[] {
    return [...this.runs.values()].map((r) => runInfo(r.record)).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Returns false when there is no such run. Cancelling an ended run changes nothing. */
  cancel(id: string): boolean {
    const run = this.runs.get(id);
    run?.cancel();
    return run !== undefined;
  }

  /** Kills every worker (server shutdown). */
  killAll(): void {
    for (const run of this.runs.values()) run.cancel();
  }
}

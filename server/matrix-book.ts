// The allocator matrices the server knows of, read from its runs: a matrix is the runs whose
// record carries its matrixId (shared/matrix.ts), so there is nothing else to store, a restart
// finds them again, and a deleted run simply leaves its matrix's table. Starting one goes through
// matrix-request.ts and RunRegistry.submitAll (all its runs queued, or none).
import { matrixRows, matrixSettingsFor, settingOrder, type Matrix, type MatrixEntry, type MatrixInfo } from '../shared/matrix.js';
import type { ServerMessage } from '../shared/protocol/ws.js';
import { experimentRuntime, isEnded, type RunInfo, type RunRecord } from '../shared/run-record.js';
import { firstUnavailableKnob, type Machine } from './machine.js';
import type { MatrixRequest } from './matrix-request.js';
import type { RunRegistry, SubmitAllResult } from './run-registry.js';

/** How long allocate took (ms), from a record's phases. */
export const allocateMsOf = (record: Pick<RunRecord, 'phases'>): number | undefined => {
  const allocate = record.phases.find((p) => p.name === 'allocate');
  return allocate?.end === undefined ? undefined : allocate.end - allocate.start;
};

export class MatrixBook {
  /** Allocate times of ended runs (they never change): the table is then built without reading records again. */
  private readonly allocateMs = new Map<string, number | undefined>();

  constructor(private readonly registry: RunRegistry, private readonly machine: () => Machine) {}

  /** Queues every run of the matrix, or none (see RunRegistry.submitAll). */
  submit(request: MatrixRequest): SubmitAllResult {
    return this.registry.submitAll(request.runs);
  }

  list(): MatrixInfo[] {
    const byId = new Map<string, RunInfo[]>();
    for (const run of this.registry.matrixRuns()) if (run.matrixId) byId.set(run.matrixId, [...(byId.get(run.matrixId) ?? []), run]);
    return [...byId].map(([id, runs]) => this.info(id, runs)).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The matrix with its table, or undefined when none of its runs is left. */
  get(id: string): Matrix | undefined {
    const runs = this.registry.matrixRuns(id);
    if (runs.length === 0) return undefined;
    const info = this.info(id, runs);
    const entries: MatrixEntry[] = info.runs.map(({ setting, runId }) => {
      const run = runs.find((r) => r.id === runId)!;
      return { setting, run, ...this.allocateOf(run) };
    });
    return { ...info, rows: matrixRows(entries) };
  }

  /** The `matrix` event to push when a run event concerns a matrix (its run started or ended). */
  eventFor(message: ServerMessage): ServerMessage | undefined {
    if (message.type !== 'run-started' && message.type !== 'run-finished' && message.type !== 'run-failed') return undefined;
    const id = message.run.matrixId;
    const matrix = id === undefined ? undefined : this.get(id);
    return matrix && { type: 'matrix', matrix };
  }

  private info(id: string, runs: readonly RunInfo[]): MatrixInfo {
    const first = runs.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
    const sorted = [...runs].sort((a, b) => settingOrder(a.matrixSetting ?? '', b.matrixSetting ?? ''));
    const have = new Set(runs.map((r) => r.matrixSetting));
    const machine = this.machine();
    const runtime = experimentRuntime(first); // a matrix's runs are experiments, never watches
    return {
      id,
      experiment: first.experiment,
      runtime,
      params: first.params,
      ...(first.settleMs !== undefined && { settleMs: first.settleMs }),
      createdAt: first.createdAt,
      runs: sorted.map((r) => ({ setting: r.matrixSetting ?? '', runId: r.id, status: r.status })),
      // Settings without a run were skipped when the matrix was made: say why, as this machine sees it now.
      skipped: matrixSettingsFor(runtime).filter((s) => !have.has(s.name)).map((s) => ({
        setting: s.name,
        reason: firstUnavailableKnob(s.knobs, runtime, machine) ?? 'not run in this matrix',
      })),
    };
  }

  private allocateOf(run: RunInfo): { allocateMs?: number } {
    let ms = this.allocateMs.get(run.id);
    if (!this.allocateMs.has(run.id)) {
      const record = this.registry.get(run.id);
      ms = record && allocateMsOf(record);
      if (isEnded(run)) this.allocateMs.set(run.id, ms);
    }
    return ms === undefined ? {} : { allocateMs: ms };
  }
}

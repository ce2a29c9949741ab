// The dashboard: wires the WebSocket stream, the experiment cards, the chart and the summary.
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN, type Experiment, type HeapSample, type Params, type Phase, type RunInfo, type RunRecord, type Sample, type ServerMessage } from '../../shared/schemas.js';
import { cancelRun, fetchRun, startRun } from './api.js';
import { ChartView } from './chart-view.js';
import { renderCards, type Cards } from './experiment-cards.js';
import { formatSeconds } from './format.js';
import { renderPhaseList } from './phase-list.js';
import { renderSummary } from './summary-view.js';
import { connectWs } from './ws-client.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const chart = new ChartView($<HTMLCanvasElement>('chart'));
// ?probe hands the chart to the benchmarks (bench/chart-fps.ts, bench/frame-latency.ts).
if (new URLSearchParams(location.search).has('probe')) Object.assign(window, { memtideChart: chart });
const statusEl = $('status');
const sampleHzInput = $<HTMLInputElement>('sample-hz');
sampleHzInput.min = String(SAMPLE_HZ_MIN);
sampleHzInput.max = String(SAMPLE_HZ_MAX);
const cancelButton = $<HTMLButtonElement>('cancel');

/** The run on screen; its record is filled live from the stream. */
let shown: RunRecord | undefined;
let catalog: Experiment[] = [];
let cards: Cards | undefined;
let connected = false;

function show(record: RunRecord): void {
  shown = record;
  const experiment = catalog.find((e) => e.id === record.experiment);
  const params = Object.entries(record.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(', ');
  const title = `${experiment?.title ?? record.experiment} (${params}) · ${record.runtime} ${record.runtimeVersion ?? ''}`;
  $('run-title').textContent = title;
  chart.reset(record.createdAt, title);
  chart.addSamples(record.samples);
  chart.addHeap(record.heap);
  chart.setPhases(record.phases);
  refresh();
}

function refresh(): void {
  const running = shown?.status === 'running';
  cards?.setBusy(running || !connected);
  cancelButton.hidden = !running;
  if (!shown) return;
  const now = performance.timeOrigin + performance.now();
  renderPhaseList($('phases'), shown.phases, now);
  const phase = shown.phases.at(-1);
  const elapsed = formatSeconds((shown.endedAt ?? now) - shown.createdAt);
  statusEl.textContent = running
    ? `running · phase ${phase && phase.end === undefined ? phase.name : phase ? `after ${phase.name}` : 'starting'} · ${elapsed}`
    : `${shown.status} · ${elapsed} · ${shown.samples.length.toLocaleString()} RSS samples (${shown.sampler}, ${shown.sampleHz} Hz asked${
        shown.achievedHz === undefined ? '' : `, ${shown.achievedHz} Hz achieved, gap p99 ${shown.sampleGapP99Ms} ms`})`;
  renderSummary($('summary'), running ? null : shown);
}

const emptyRecord = (run: RunInfo): RunRecord => ({ ...run, phases: [], samples: [], heap: [] });

async function showStored(run: RunInfo): Promise<void> {
  try {
    show(await fetchRun(run.id));
  } catch (error) {
    statusEl.textContent = `could not load run ${run.id}: ${(error as Error).message}`;
  }
}

function onMessage(message: ServerMessage): void {
  switch (message.type) {
    case 'hello': {
      catalog = message.catalog;
      cards = renderCards($('experiments'), catalog, { onRun: run });
      const latest = message.runs[0];
      if (latest && (!shown || shown.id === latest.id || latest.status === 'running')) void showStored(latest);
      break;
    }
    case 'run-started':
      show(emptyRecord(message.run));
      break;
    case 'samples': {
      if (shown?.id !== message.runId) return;
      // After a refetch (samples-dropped) frames already in the record may still arrive: skip them.
      const lastT = shown.samples.at(-1)?.t ?? -Infinity;
      const fresh = (message.samples[0]?.t ?? Infinity) > lastT ? message.samples : message.samples.filter((s) => s.t > lastT);
      append(shown.samples, fresh);
      chart.addSamples(fresh);
      return; // the status line ticks on its own timer
    }
    case 'samples-dropped':
      // This client fell behind and the server skipped samples for it: the record has them all.
      if (shown?.id === message.runId) void showStored(shown);
      return;
    case 'heap':
      if (shown?.id !== message.runId) return;
      append(shown.heap, message.heap);
      chart.addHeap(message.heap);
      return;
    case 'phase':
      if (shown?.id !== message.runId) return;
      applyPhase(shown.phases, message);
      chart.setPhases(shown.phases);
      break;
    case 'run-finished':
    case 'run-failed':
      if (shown?.id !== message.runId) return;
      Object.assign(shown, message.run);
      break;
    case 'pong':
      return;
  }
  refresh();
}

function append<T extends Sample | HeapSample>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

function applyPhase(phases: Phase[], m: Extract<ServerMessage, { type: 'phase' }>): void {
  if (m.edge === 'start') phases.push({ name: m.phase, start: m.t });
  else {
    const phase = phases.find((p) => p.name === m.phase && p.end === undefined);
    if (phase) phase.end = m.t;
  }
}

async function run(experiment: Experiment, params: Params): Promise<void> {
  if (!sampleHzInput.checkValidity()) throw new Error(`sampleHz: ${sampleHzInput.validationMessage}`);
  await startRun({ experiment: experiment.id, params, sampleHz: Number(sampleHzInput.value) });
}

cancelButton.addEventListener('click', () => {
  if (shown) cancelRun(shown.id).catch((e: Error) => (statusEl.textContent = e.message));
});

connectWs({
  onMessage,
  onState(state, detail) {
    const badge = $('connection');
    badge.dataset.state = state;
    badge.textContent = detail;
    connected = state === 'open';
    refresh();
  },
});
setInterval(() => shown?.status === 'running' && refresh(), 200);

// The dashboard: wires the WebSocket stream, the experiment cards (with allocator knobs), the live
// chart, memory breakdown and summary, the history (open, compare, delete), export/import, and
// links to a run (#/runs/<id>).
import './zod-jitless.js'; // first: zod must not try new Function() under the page's CSP
import { describeSettings, type Knobs } from '../../shared/knobs.js';
import { type Experiment } from '../../shared/catalog/experiment.js';
import { SAMPLE_HZ_MAX, SAMPLE_HZ_MIN } from '../../shared/limits.js';
import { type ServerMessage } from '../../shared/protocol/ws.js';
import { type HeapSample, type Params, type Phase, type RunInfo, type RunRecord, type Sample } from '../../shared/run-record.js';
import { parseRunJson, runToCsv, runToJson } from '../../shared/run-export.js';
import { cancelRun, deleteRun, fetchRun, startRun } from './api.js';
import { BreakdownView } from './breakdown-view.js';
import { ChartView } from './chart-view.js';
import { CompareView } from './compare-view.js';
import { download, el } from './dom.js';
import { renderCards, type Cards } from './experiment-cards.js';
import { formatSeconds } from './format.js';
import { renderHistory, runLabel, type HistoryEntry } from './history-panel.js';
import { renderPhaseList } from './phase-list.js';
import { renderSummary } from './summary-view.js';
import { connectWs } from './ws-client.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const chart = new ChartView($<HTMLCanvasElement>('chart'));
const compare = new CompareView($<HTMLCanvasElement>('compare-chart'), $('compare-tables'), $('compare-legend'));
const breakdown = new BreakdownView($<HTMLCanvasElement>('breakdown'));
// ?probe hands the chart to the benchmarks (bench/chart-fps.ts, bench/frame-latency.ts).
if (new URLSearchParams(location.search).has('probe')) Object.assign(window, { memtideChart: chart });
const statusEl = $('status');
const sampleHzInput = $<HTMLInputElement>('sample-hz');
sampleHzInput.min = String(SAMPLE_HZ_MIN);
sampleHzInput.max = String(SAMPLE_HZ_MAX);
const cancelButton = $<HTMLButtonElement>('cancel');
const resetZoomButton = $<HTMLButtonElement>('reset-zoom');
chart.onZoomChange = (zoomed) => (resetZoomButton.hidden = !zoomed);
resetZoomButton.addEventListener('click', () => chart.resetZoom());
const message = (text: string): void => {
  $('toolbar-message').textContent = text;
};

/** The run on screen; while it runs, its record is filled live from the stream. */
let shown: RunRecord | undefined;
let catalog: Experiment[] = [];
let cards: Cards | undefined;
let connected = false;
const runsById = new Map<string, HistoryEntry>();
/** Runs loaded from files: they exist only in this page. */
const importedRecords = new Map<string, RunRecord>();
const selected = new Set<string>();
/** While a run is being fetched, its stream messages wait here, then apply on top of the record. */
let loading: { id: string; pending: ServerMessage[]; again: boolean } | undefined;
let catalogKey = '';
/** Runs waiting for the one in progress, in order; `mine` are those this page asked for. */
let queued: RunInfo[] = [];
const mine = new Set<string>();

/** Two lines: what ran (experiment, params, runtime and version), and under which allocator settings. */
function runTitle(run: RunInfo): [string, string] {
  const experiment = catalog.find((e) => e.id === run.experiment);
  const params = Object.entries(run.params).map(([k, v]) => `${k}=${v.toLocaleString()}`).join(', ');
  const seen = [run.mallocLibrary && `malloc: ${run.mallocLibrary}`, run.objectAllocator && `objects: ${run.objectAllocator}`].filter(Boolean);
  return [
    `${experiment?.title ?? run.experiment} (${params}) · ${run.runtime} ${run.runtimeVersion ?? ''}`.trim(),
    `${describeSettings(run.workerEnv, run.knobs)}${seen.length > 0 ? ` (${seen.join(', ')})` : ''}`,
  ];
}

function showTitle(run: RunInfo): void {
  const [what, settings] = runTitle(run);
  $('run-title').replaceChildren(what, Object.assign(document.createElement('span'), { className: 'settings', textContent: settings }));
  chart.setTitle([what, settings]);
}

/** Bumped by every show(): a fetch that finishes after something else was shown is dropped. */
let generation = 0;

function show(record: RunRecord): void {
  generation++;
  // A fetch in flight is now stale (whatever it was for): from here on messages apply live.
  loading = undefined;
  // The same run again (a re-fetch): the user's zoom stays.
  chart.reset(record.createdAt, runTitle(record), record.id === shown?.id);
  shown = record;
  showTitle(record);
  chart.addSamples(record.samples);
  chart.addHeap(record.heap);
  chart.setPhases(record.phases);
  if (location.hash !== `#/runs/${record.id}`) window.history.replaceState(null, '', `#/runs/${record.id}`);
  breakdown.show(record.breakdowns);
  refresh();
  refreshHistory();
}

function refresh(): void {
  const running = shown?.status === 'running';
  cards?.setBusy(!connected); // while a run goes, Run queues the next one
  cancelButton.hidden = !running || importedRecords.has(shown!.id);
  for (const id of ['export-json', 'export-csv', 'export-png']) $<HTMLButtonElement>(id).disabled = !shown || running || shown.status === 'queued';
  if (!shown) return;
  const now = performance.timeOrigin + performance.now();
  renderPhaseList($('phases'), shown.phases, now);
  const phase = shown.phases.at(-1);
  const elapsed = formatSeconds((shown.endedAt ?? now) - shown.createdAt);
  statusEl.textContent = (running
    ? `running · phase ${phase && phase.end === undefined ? phase.name : phase ? `after ${phase.name}` : 'starting'} · ${elapsed}`
    : shown.status === 'queued' ? 'queued'
    : `${shown.status} · ${elapsed} · ${shown.samples.length.toLocaleString()} RSS samples (${shown.sampler}, ${shown.sampleHz} Hz asked${
        shown.achievedHz === undefined ? '' : `, ${shown.achievedHz} Hz achieved, gap p99 ${shown.sampleGapP99Ms} ms`})${shown.error ? ` · ${shown.error}` : ''}`) + queueText();
  renderSummary($('summary'), running ? null : shown, running ? [] : shown.heap, shown.phases);
}

/** The waiting runs, each with its own Cancel (re-rendered when the queue changes). */
function renderQueue(): void {
  $('queue').replaceChildren(
    ...queued.map((r, i) => {
      const cancel = el('button', { type: 'button', className: 'link danger', textContent: 'cancel' });
      cancel.addEventListener('click', () => cancelRun(r.id).catch((e: Error) => message(e.message)));
      return el('li', { dataset: { runId: r.id } }, `#${r.queuePosition ?? i + 1} ${runLabel(r)}${mine.has(r.id) ? ' (yours)' : ''} `, cancel);
    }),
  );
}

function queueText(): string {
  if (queued.length === 0) return '';
  const items = queued.map((r, i) => `#${r.queuePosition ?? i + 1} ${r.experiment}${mine.has(r.id) ? ' (yours)' : ''}`);
  return ` · queued: ${items.join(', ')}`;
}

/** Re-rendered only when the list or the selection changes, never on the status tick. */
function refreshHistory(): void {
  $<HTMLButtonElement>('compare-selected').disabled = selected.size < 2;
  $<HTMLButtonElement>('compare-selected').textContent = `Compare selected (${selected.size})`;
  renderHistory($('history'), [...runsById.values()].sort((a, b) => b.run.createdAt - a.run.createdAt), selected, shown?.id, {
    onOpen: (id) => void open(id),
    onToggle: (id, on) => {
      if (on) selected.add(id);
      else selected.delete(id);
      refreshHistory();
    },
    onDelete: (entry) => void remove(entry),
  });
}

const emptyRecord = (run: RunInfo): RunRecord => ({ ...run, phases: [], samples: [], heap: [], breakdowns: [] });

async function load(id: string): Promise<RunRecord> {
  return importedRecords.get(id) ?? (await fetchRun(id));
}

/** Shows a run from the server (or an imported one); `again` re-fetches the one on screen. */
async function open(id: string, again = false): Promise<void> {
  if (!again && shown?.id === id && shown.status === 'running') return; // already live
  if (loading?.id === id) {
    loading.again = true; // one more fetch once this one lands, not one per request
    return;
  }
  const mine = { id, pending: [] as ServerMessage[], again: false };
  loading = mine;
  const started = generation;
  try {
    const record = await load(id);
    // Overtaken by another open(), or a run started (or was shown) meanwhile: that wins.
    if (loading !== mine || generation !== started) return;
    show(record);
    for (const m of mine.pending) onMessage(m); // what streamed in during the fetch; older parts are skipped
    if (mine.again) void open(id, true);
  } catch (error) {
    if (loading !== mine) return;
    loading = undefined;
    statusEl.textContent = `could not load run ${id}: ${(error as Error).message}`;
  }
}

const runIdOf = (m: ServerMessage): string | undefined =>
  'runId' in m ? m.runId : m.type === 'run-updated' || m.type === 'run-started' ? m.run.id : undefined;

async function remove({ run, imported }: HistoryEntry): Promise<void> {
  if (run.status === 'running') return message('cancel the run before deleting it');
  if (!confirm(`Delete run ${run.id} (${run.experiment})? This cannot be undone.`)) return;
  try {
    if (!imported) await deleteRun(run.id);
    importedRecords.delete(run.id);
    runsById.delete(run.id);
    selected.delete(run.id);
    if (shown?.id === run.id) location.hash = '';
    message(`deleted ${run.id}`);
  } catch (error) {
    message(`could not delete ${run.id}: ${(error as Error).message}`);
  }
  refreshHistory();
}

function onMessage(m: ServerMessage): void {
  if (m.type === 'run-finished' || m.type === 'run-failed') {
    // The history hears of an end at once, even while that run's record is being fetched.
    runsById.set(m.run.id, { run: m.run, imported: false });
    refreshHistory();
  }
  if (loading && runIdOf(m) === loading.id && m.type !== 'run-started') {
    loading.pending.push(m);
    return;
  }
  switch (m.type) {
    case 'hello': {
      // Also after a reconnect: the server's list is the truth; what changed meanwhile is re-read.
      if (JSON.stringify(m.catalog) !== catalogKey) {
        catalogKey = JSON.stringify(m.catalog);
        catalog = m.catalog;
        cards = renderCards($('experiments'), catalog, { onRun: run });
      }
      queued = m.runs.filter((r) => r.status === 'queued').sort((a, b) => (a.queuePosition ?? 0) - (b.queuePosition ?? 0));
      renderQueue();
      for (const [id, entry] of runsById) if (!entry.imported) runsById.delete(id);
      for (const r of m.runs) if (r.status !== 'queued') runsById.set(r.id, { run: r, imported: false });
      for (const id of selected) if (!runsById.has(id)) selected.delete(id);
      if (shown?.status === 'running' && !importedRecords.has(shown.id) && !m.runs.some((r) => r.id === shown!.id)) {
        // The server restarted (or was killed) while this run went: it is gone for good.
        Object.assign(shown, { status: 'failed', error: 'lost: the server restarted while it ran' });
      }
      refreshHistory();
      const running = m.runs.find((r) => r.status === 'running');
      const target = running?.id ?? runIdFromHash() ?? shown?.id ?? m.runs.find((r) => r.status !== 'queued')?.id;
      if (target) void open(target, true);
      break;
    }
    case 'run-started':
      runsById.set(m.run.id, { run: m.run, imported: false });
      show(emptyRecord(m.run));
      break;
    case 'samples':
      if (shown?.id !== m.runId) return;
      chart.addSamples(appendNewer(shown.samples, m.samples));
      return; // the status line ticks on its own timer
    case 'samples-dropped':
      // This client fell behind and the server skipped samples for it: the record has them all.
      if (shown?.id === m.runId) void open(m.runId, true);
      return;
    case 'heap':
      if (shown?.id !== m.runId) return;
      chart.addHeap(appendNewer(shown.heap, m.heap));
      return;
    case 'phase':
      if (shown?.id !== m.runId) return;
      applyPhase(shown.phases, m);
      chart.setPhases(shown.phases);
      break;
    case 'run-updated':
      if (shown?.id !== m.run.id) return;
      Object.assign(shown, m.run);
      showTitle(shown);
      break;
    case 'breakdown':
      if (shown?.id !== m.runId || shown.breakdowns.some((b) => b.phase === m.breakdown.phase)) return;
      shown.breakdowns.push(m.breakdown);
      breakdown.show(shown.breakdowns);
      return;
    case 'run-finished':
    case 'run-failed':
      if (shown?.id !== m.runId) return;
      Object.assign(shown, m.run);
      showTitle(shown);
      // A finished run with an open phase here means this page missed part of the stream.
      if (m.run.status === 'finished' && !shown.phases.every((p) => p.end !== undefined)) void open(m.runId, true);
      break;
    case 'queue':
      queued = m.runs;
      renderQueue();
      break;
    case 'pong':
      return;
  }
  refresh();
}

/** Appends the items newer than the last one held (a fetch and the stream may overlap); returns them. */
function appendNewer<T extends Sample | HeapSample>(into: T[], items: readonly T[]): T[] {
  const last = into.at(-1)?.t ?? -Infinity;
  const newer = items.filter((item) => item.t > last);
  for (const item of newer) into.push(item);
  return newer;
}

function applyPhase(phases: Phase[], m: Extract<ServerMessage, { type: 'phase' }>): void {
  if (m.edge === 'start') {
    if (!phases.some((p) => p.name === m.phase)) phases.push({ name: m.phase, start: m.t });
  } else {
    const phase = phases.find((p) => p.name === m.phase && p.end === undefined);
    if (phase) phase.end = m.t;
  }
}

async function run(experiment: Experiment, params: Params, knobs: Knobs): Promise<void> {
  if (!sampleHzInput.checkValidity()) throw new Error(`sampleHz: ${sampleHzInput.validationMessage}`);
  const answer = await startRun({ experiment: experiment.id, params, sampleHz: Number(sampleHzInput.value), ...(Object.keys(knobs).length > 0 ? { knobs } : {}) });
  mine.add(answer.id);
  refresh();
}

const runIdFromHash = (): string | undefined => /^#\/runs\/([a-z0-9-]+)$/.exec(location.hash)?.[1];

window.addEventListener('hashchange', () => {
  const id = runIdFromHash();
  if (id && id !== shown?.id) void open(id);
});

cancelButton.addEventListener('click', () => {
  if (shown) cancelRun(shown.id).catch((e: Error) => (statusEl.textContent = e.message));
});

$('export-json').addEventListener('click', () => shown && download(`memtide-${shown.id}.json`, runToJson(shown), 'application/json'));
$('export-csv').addEventListener('click', () => shown && download(`memtide-${shown.id}.csv`, runToCsv(shown), 'text/csv'));
$('export-png').addEventListener('click', () => shown && download(`memtide-${shown.id}.png`, chart.toPng()));

$<HTMLInputElement>('import-json').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const result = parseRunJson(await file.text());
  if (!result.ok) return message(`${file.name}: ${result.error}`);
  // An id this page already knows (e.g. an export of this server's own run) gets a fresh one, so
  // the copy never shadows, or deletes, the server's run.
  // A file saved mid-run is a snapshot: it will never end here, so it shows as failed.
  const ended = result.record.status === 'running' || result.record.status === 'queued'
    ? { ...result.record, status: 'failed' as const, error: `imported while ${result.record.status}: a snapshot` }
    : result.record;
  const taken = (id: string) => runsById.has(id) || queued.some((r) => r.id === id) || shown?.id === id;
  let record = ended;
  for (let n = 2; taken(record.id); n++) record = { ...ended, id: `${ended.id.slice(0, 56)}-copy${n}` };
  importedRecords.set(record.id, record);
  if (!runsById.has(record.id)) runsById.set(record.id, { run: record, imported: true });
  message(`imported ${record.id} from ${file.name}`);
  show(record);
});

$('compare-selected').addEventListener('click', async () => {
  try {
    const records = await Promise.all([...selected].map(load));
    $('compare').hidden = false;
    compare.show(records);
    $('compare').scrollIntoView({ behavior: 'smooth' });
  } catch (error) {
    message(`could not compare: ${(error as Error).message}`);
  }
});
$('compare-close').addEventListener('click', () => {
  compare.hide();
  $('compare').hidden = true;
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

// What the CLI prints, and how it gets out whole. Texts are pure (tested alone); writeAll is the
// one way the CLI writes what must not be lost.
import type { RunOutput } from '../shared/custom/code.js';
import { OUTPUT_MAX_BYTES } from '../shared/custom/facts.js';
import type { Experiment } from '../shared/catalog/experiment.js';
import { formatAsciiSignedMiB, formatMiB, formatSeedPct } from '../shared/format.js';
import { describeSettings } from '../shared/knobs.js';
import { bestSentence, type Matrix } from '../shared/matrix.js';
import type { RunInfo, RunRecord } from '../shared/run-record.js';
import { summaryRows } from '../shared/summary.js';

/**
 * Writes `text` and resolves once the stream has handed it to the kernel. process.exit() drops
 * whatever a pipe has not taken yet: a pipe holds 64 KiB, so `memtide run --json | jq` used to get
 * only the first 65 536 bytes of a bigger record whenever the reader was slower than the writer.
 * The write callback comes after the last byte is written, whatever the reader's pace.
 */
export function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    // A reader that went away (`| head -c 100`) is not our failure: stop writing, exit as planned.
    stream.once('error', () => resolve());
    stream.write(text, () => resolve());
  });
}

export const paramsText = (params: RunInfo['params']): string => Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ');

/**
 * The run header, once the worker said what it runs under: experiment, runtime, the malloc found
 * mapped in it (/proc/PID/maps), CPython's object allocator, and the allocator settings asked for.
 */
export function runHeader(run: RunInfo): string {
  const parts = [
    `${run.experiment} (${paramsText(run.params)})`,
    `${run.runtime} ${run.runtimeVersion ?? ''}`.trim(),
    `allocator ${run.mallocLibrary ?? 'unknown'}`,
    ...(run.objectAllocator ? [`object allocator ${run.objectAllocator}`] : []),
    describeSettings(run.workerEnv, run.knobs),
  ];
  return `Run ${run.id}: ${parts.join(' · ')}`;
}

/** The seed's lines ("Allocation: 3034.36%"), MiB beside them, and the verdict. */
export function formatSummary(record: RunRecord): string {
  const s = record.summary!;
  return [
    ...summaryRows(s).map((r) => `${r.label}: ${formatSeedPct(r.pct)}  (${formatAsciiSignedMiB(r.bytes)})`),
    `Baseline RSS ${formatMiB(s.mem0)}, peak ${formatMiB(s.peak)}`,
    `Verdict: ${s.verdictText}`,
  ].join('\n');
}

/** What a knob takes on the command line: "trim=true", "allocator=glibc|jemalloc", "mallocArenaMax=1…1024". */
function knobValues(knob: Experiment['knobs'][number]): string {
  if (knob.kind === 'boolean') return `${knob.name}=true`;
  if (knob.kind === 'choice') return `${knob.name}=${(knob.choices ?? []).join('|')}`;
  return `${knob.name}=${knob.min}…${knob.max}${knob.unit ? ` ${knob.unit}` : ''}`;
}

/** `memtide list`: each experiment, its params with defaults and bounds, and the knobs it takes here. */
export function catalogText(catalog: readonly Experiment[]): string {
  const indent = ''.padEnd(29);
  return catalog.flatMap((e) => [
    `${e.id.padEnd(20)} ${e.runtime.padEnd(7)} ${e.title}${e.available ? '' : `  (unavailable: ${e.unavailableReason})`}`,
    ...e.params.map((p) => `${indent}--param ${p.name}=${p.default}  (${p.min}…${p.max}) ${p.label}`),
    ...e.knobs.map((k) => `${indent}--runtime-knob ${knobValues(k)}  ${k.effect}${k.available ? '' : `  (unavailable: ${k.unavailableReason})`}`),
  ]).join('\n');
}

/** `memtide matrix`: one line per setting, the one that kept the least marked, then what was skipped. */
export function matrixText(matrix: Matrix): string {
  const head = ['setting', 'peak', 'after collect', 'after settle', 'kept', 'verdict', 'allocate'];
  const cells = matrix.rows.map((r) => (r.kept === undefined
    ? [r.setting, `${r.status}${r.error ? `: ${r.error}` : ''}`]
    : [r.setting, formatMiB(r.peak!), formatMiB(r.afterCollect!), formatMiB(r.afterSettle!), formatAsciiSignedMiB(r.kept), r.verdict ?? '', r.allocateMs === undefined ? '' : `${Math.round(r.allocateMs)} ms`]));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.filter((c) => c.length > 2).map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => (c.length === 2 ? `${c[0]!.padEnd(widths[0]!)}  ${c[1]}` : c.map((x, i) => x.padEnd(widths[i]!)).join('  ')).trimEnd();
  return [
    `Allocator matrix ${matrix.id}: ${matrix.experiment} (${paramsText(matrix.params)}) on ${matrix.runtime}`,
    line(head),
    ...matrix.rows.map((r, i) => `${line(cells[i]!)}${r.best ? '  <- returns the most' : ''}`),
    ...matrix.skipped.map((s) => `${s.setting}: skipped: ${s.reason}`),
    `Best: ${bestSentence(matrix.rows)}`,
  ].join('\n');
}

/** What a custom run's code printed, between two rules, and whether it was cut. */
export function codeOutputText(output: RunOutput): string {
  const cut = output.truncated ? `, cut at ${OUTPUT_MAX_BYTES / 1024} KiB of ${output.bytes.toLocaleString('en')} bytes` : '';
  return `\n--- what the code printed${cut} ---\n${output.text.replace(/\n?$/, '\n')}---`;
}

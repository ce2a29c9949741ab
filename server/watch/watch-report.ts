// How `memtide ps` and `memtide watch` print: the process table, the breakdown, the probes and the
// verdict of a watch as plain-text tables. Pure, so they are tested without a process.
import { formatCount, formatMiB, formatSeconds } from '../../shared/format.js';
import type { RunRecord } from '../../shared/run-record.js';
import type { ProcessEntry, WatchBreakdown, WatchTarget } from '../../shared/watch-record.js';

const table = (rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
};

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const runtimeLabel = (e: Pick<ProcessEntry, 'runtime' | 'runtimeVersion'>) => `${e.runtime}${e.runtimeVersion ? ` ${e.runtimeVersion}` : ''}`;

export function formatProcessTable(entries: readonly ProcessEntry[]): string {
  const rows = [['PID', 'USER', 'RSS MiB', 'RUNTIME', 'MALLOC', 'COMMAND']];
  for (const e of entries) {
    const command = e.command.length > 100 ? `${e.command.slice(0, 99)}…` : e.command;
    rows.push([String(e.pid), e.user ?? String(e.uid), mib(e.rss), runtimeLabel(e), e.allocator, e.refusal ? `${command}  (not watchable: ${e.refusal})` : command]);
  }
  return table(rows, new Set([0, 2]));
}

export const describeTarget = (t: WatchTarget): string =>
  `pid ${t.pid} (${t.command.length > 80 ? `${t.command.slice(0, 79)}…` : t.command}) · ${runtimeLabel(t)} · ${t.allocator}`;

const KINDS: [keyof WatchBreakdown, string][] = [
  ['brkHeap', 'brk heap'], ['arenaHeaps', 'arena heaps'], ['anonMappings', 'anonymous mmaps'], ['fileMappings', 'files'],
  ['stacks', 'stacks'], ['otherMappings', 'other'], ['swap', 'swapped out'], ['pss', 'PSS'], ['rss', 'RSS'],
];

export function formatWatchReport(record: RunRecord): string {
  const watch = record.watch!;
  const timeline = record.watchTimeline!;
  const out: string[] = [];
  const span = (record.endedAt ?? record.samples.at(-1)?.t ?? record.createdAt) - record.createdAt;
  out.push(`watch of ${describeTarget(watch.target)}`);
  out.push(`${formatSeconds(span)}, ${formatCount(record.samples.length)} RSS samples${record.achievedHz ? ` at ${Math.round(record.achievedHz)} Hz` : ''}; ended: ${watch.endReason ?? 'still going'}`);
  const rss = record.samples.map((s) => s.rss);
  if (rss.length) out.push(`RSS: first ${formatMiB(rss[0]!)}, min ${formatMiB(Math.min(...rss))}, max ${formatMiB(Math.max(...rss))}, last ${formatMiB(rss.at(-1)!)}`);
  const first = timeline.breakdowns[0];
  const last = timeline.breakdowns.at(-1);
  if (first && last) {
    out.push('', table([['where the memory is', 'first MiB', 'last MiB'], ...KINDS.map(([key, label]) => [label, mib(first[key] as number), mib(last[key] as number)])], new Set([1, 2])));
    const rate = timeline.smapsRates.at(-1);
    if (rate) out.push(`smaps read every ${formatSeconds(rate.intervalMs)} (${rate.readMs.toFixed(1)} ms a read, ${last.mappings} mappings)`);
  } else if (record.error) out.push(record.error);
  const cgroup = timeline.cgroup.at(-1);
  if (cgroup) out.push(`cgroup (v${cgroup.version}): ${formatMiB(cgroup.usage)} used${cgroup.limit !== undefined ? ` of ${formatMiB(cgroup.limit)}` : ''}, anon ${formatMiB(cgroup.anon)}, file ${formatMiB(cgroup.file)}`);
  if (timeline.probes.length) {
    const rows = [['probe', 'method', 'status', 'RSS before', '1 s after', 'returned', 'paused', 'result']];
    for (const p of timeline.probes) {
      rows.push([p.kind, p.method, p.status, formatMiB(p.before.rss), p.after ? formatMiB(p.after.rss) : '-', p.returned !== undefined ? formatMiB(p.returned) : '-',
        p.pausedMs !== undefined ? `${Math.round(p.pausedMs)} ms` : '-', [p.result, p.error].filter(Boolean).join('; ')]);
    }
    out.push('', table(rows, new Set([3, 4, 5, 6])));
  }
  if (timeline.markers.length) out.push('', `markers: ${timeline.markers.map((m) => `+${formatSeconds(m.t - record.createdAt)} ${m.label}`).join(', ')}`);
  out.push('', watch.verdict ? `Verdict: ${watch.verdict.verdict} — ${watch.verdict.text}` : 'Verdict: none — no probe ran; from outside alone, freed-but-kept and live memory look the same (--gc, --trim)');
  return out.join('\n');
}

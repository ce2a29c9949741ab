// `npm run bench`: every benchmark of issues 4, 11, 13 and 15 in turn, then bench/RESULTS.md with the machine,
// the date, the Node version, each target met or not, the tables, and the optimisation history.
// Pass names to run only some (`npm run bench -- sampler framing`); RESULTS.md is written only
// by a full run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import { resolve } from 'node:path';
import { projectRoot } from '../server/paths.js';
import { machine, type BenchResult } from './lib.js';

const BENCHES: Record<string, () => Promise<{ run(): Promise<BenchResult> }>> = {
  sampler: () => import('./sampler.js'),
  'real-runs': () => import('./real-runs.js'),
  slowdown: () => import('./slowdown.js'),
  framing: () => import('./framing.js'),
  'ws-latency': () => import('./ws-latency.js'),
  'frame-latency': () => import('./frame-latency.js'),
  'chart-fps': () => import('./chart-fps.js'),
  'first-paint': () => import('./first-paint.js'),
  backpressure: () => import('./backpressure.js'),
  'watch-overhead': () => import('./watch-overhead.js'),
  // Issue 13: the run database at 10 000 runs (the store is made once, in the temp directory).
  history: () => import('./history.js'),
  'history-browser': () => import('./history-browser.js'),
};

if (!global.gc) throw new Error('run with node --expose-gc (npm run bench does)');
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHES));
if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
const names = asked.length ? asked : Object.keys(BENCHES);

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const started = Date.now();
const results: BenchResult[] = [];
for (const name of names) {
  const t0 = Date.now();
  console.log(`bench: ${name}…`);
  const result = await (await BENCHES[name]!()).run();
  results.push(result);
  console.log([`## ${result.title}`, ...result.lines, '', ...result.targets.map((t) => `- ${t.met ? 'MET    ' : 'NOT MET'} ${t.name}: ${t.measured} (target ${t.target})${t.note ? ` — ${t.note}` : ''}`)].join('\n'));
  console.log(`bench: ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

if (asked.length === 0) {
  const targets = results.flatMap((r) => r.targets);
  const historyFile = resolve(projectRoot, 'bench/history.md');
  const md = [
    '# memtide benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    `Machine: ${machine()}, Linux ${release()}; Node ${process.version}; load average ${loadBefore} before, ${load()} after.`,
    '',
    '> The machine is shared (2 cores, other engineers running test suites and Chromium at the same time): every',
    '> figure is noisy. Comparisons are ratios measured side by side in one run, and latencies are medians of',
    '> rounds. A target marked NOT MET on a busy run may pass on a quiet one and the reverse; rerun before',
    '> concluding, and read the per-round rows.',
    '',
    '## Targets (issues 4, 11, 13 and 15)',
    '',
    '| target | asked | measured | |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${t.met ? '**met**' : '**not met**'} |`),
    '',
    ...results.flatMap((r) => [`## ${r.title}`, '', ...r.lines, '']),
    existsSync(historyFile) ? readFileSync(historyFile, 'utf8') : '',
  ].join('\n');
  writeFileSync(resolve(projectRoot, 'bench/RESULTS.md'), md);
  console.log(`bench: wrote bench/RESULTS.md (${targets.filter((t) => t.met).length}/${targets.length} targets met)`);
}

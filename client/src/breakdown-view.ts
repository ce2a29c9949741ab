// Where the memory is at each phase end: a stacked bar per phase (brk heap, anonymous mappings,
// file mappings, the rest), read by the server from /proc/PID/smaps while the worker waited.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title, Tooltip } from 'chart.js';
import type { MemoryBreakdown } from '../../shared/run-record.js';
import { MiB } from '../../shared/units.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, Title);

const PARTS = [
  { key: 'brkHeap', label: 'brk heap ([heap])', color: '#f0b44c' },
  { key: 'anonMappings', label: 'anonymous mmaps', color: '#c28bff' },
  { key: 'fileMappings', label: 'files (code, libraries)', color: '#5b6b80' },
  { key: 'otherMappings', label: 'stack and other', color: '#3a4656' },
] as const;

export class BreakdownView {
  private readonly chart: Chart<'bar', number[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: PARTS.map((p) => ({ label: p.label, data: [], backgroundColor: p.color, stack: 'rss' })) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
          y: { stacked: true, min: 0, title: { display: true, text: 'MiB of RSS' }, grid: { color: '#263241' }, ticks: { color: '#8b9bb0' } },
        },
        plugins: {
          title: { display: true, text: 'Where is the memory? (phase ends)', color: '#dfe6ee' },
          legend: { position: 'bottom', labels: { color: '#dfe6ee', boxWidth: 12, font: { size: 11 } } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} MiB` } },
        },
      },
    });
  }

  show(breakdowns: readonly MemoryBreakdown[]): void {
    this.chart.data.labels = breakdowns.map((b) => b.phase);
    this.chart.data.datasets.forEach((dataset, i) => {
      dataset.data = breakdowns.map((b) => b[PARTS[i]!.key] / MiB);
    });
    this.chart.update('none');
  }
}

// Samples a worker's RSS from outside at a fixed rate, from spawn to exit, so the timeline stays
// alive while the worker's own event loop is blocked inside an allocation loop.
import pidusage from 'pidusage';
import type { Sample } from '../../shared/schemas.js';
import { hasProc, openStatm } from './proc-statm.js';

export type SamplerMethod = 'proc-statm' | 'pidusage';

export interface RssSampler {
  readonly method: SamplerMethod;
  /** Achieved rate so far (samples per second). */
  achievedHz(): number;
  stop(): void;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function startRssSampler(pid: number, hz: number, onSample: (s: Sample) => void): RssSampler {
  const periodMs = 1000 / hz;
  const started = now();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const emit = (rss: number | undefined, t: number) => {
    // A zombie (exited, not yet reaped) reads as 0 pages: not a real reading.
    if (rss === undefined || rss === 0) return;
    count++;
    onSample({ t, rss });
  };

  if (hasProc()) {
    const statm = openStatm(pid);
    const tick = () => emit(statm.read(), now());
    tick();
    timer = setInterval(tick, periodMs);
    return {
      method: 'proc-statm',
      achievedHz: () => (count * 1000) / Math.max(1, now() - started),
      stop() {
        clearInterval(timer);
        statm.close();
      },
    };
  }

  let busy = false;
  const tick = () => {
    if (busy) return; // pidusage is async and slow (~0.3 ms); never stack calls
    busy = true;
    const t = now();
    pidusage(pid)
      .then((stat) => emit(stat.memory, t))
      .catch(() => undefined)
      .finally(() => (busy = false));
  };
  tick();
  timer = setInterval(tick, periodMs);
  return {
    method: 'pidusage',
    achievedHz: () => (count * 1000) / Math.max(1, now() - started),
    stop() {
      clearInterval(timer);
      pidusage.clear();
    },
  };
}

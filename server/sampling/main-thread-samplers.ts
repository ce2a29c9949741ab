// The samplers that read on the server's main thread: /proc on a timer (the fallback where no
// sampler thread or process can run: setInterval tops out near 900 Hz with ms jitter), and
// pidusage where there is no /proc (~0.3 ms a call, so tens of Hz).
import pidusage from 'pidusage';
import { now } from '../../shared/units.js';
import type { PackedSamples } from './packed-samples.js';
import { openStatm } from './proc-statm.js';
import { readingsPerSample, type RssSampler, type SamplerMethod, type SamplerSettings } from './sampler-types.js';

/** One reading, now, on this thread: the timeline's first while a sampler thread starts. */
export function readOnce(pid: number): PackedSamples | undefined {
  try {
    const statm = openStatm(pid);
    const t = now();
    const rss = statm.read();
    statm.close();
    return rss ? Float64Array.of(t, rss) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The main-thread samplers' loop: one call of take() per reading, MEMORY_WATCH_HZ or more a
 * second; it records every `every`-th reading and the first over the cap, and hands the recorded
 * ones on at most every batchMs (and whatever is left on flush).
 */
function watcher({ hz, batchMs, capBytes, onSamples, onBreach }: SamplerSettings) {
  let batchPeriod = batchMs;
  const every = readingsPerSample(hz);
  let pending: number[] = [];
  let last = now();
  let reading = 0;
  let breached = capBytes <= 0;
  const flush = () => {
    if (pending.length > 0) onSamples(Float64Array.from(pending));
    pending = [];
  };
  return {
    periodMs: 1000 / hz / every,
    take(t: number, rss: number) {
      const onGrid = reading++ % every === 0;
      const breach = !breached && rss > capBytes;
      if (onGrid || breach) pending.push(t, rss);
      if (breach) {
        breached = true;
        flush();
        onBreach(rss);
      } else if (t - last >= batchPeriod) {
        last = t;
        flush();
      }
    },
    flush,
    setBatchMs: (ms: number) => void (batchPeriod = ms),
  };
}

/** tick() now and every watch period; stop() ends it, lets close() finish, and hands over what is left. */
function onTimer(method: SamplerMethod, out: ReturnType<typeof watcher>, tick: () => void, close: () => unknown): RssSampler {
  tick();
  const timer = setInterval(tick, out.periodMs);
  return {
    method,
    setBatchMs: out.setBatchMs,
    async stop() {
      clearInterval(timer);
      await close();
      out.flush();
    },
  };
}

/**
 * The timer sampler in place of a sampler process or thread that failed mid-run: the timeline goes
 * on on the main thread rather than lose the rest of the run. Undefined when the process is gone too.
 */
export function timerFallback(pid: number, settings: SamplerSettings): RssSampler | undefined {
  try {
    return startTimerSampler(pid, settings);
  } catch {
    return undefined; // nothing left to sample
  }
}

export function startTimerSampler(pid: number, settings: SamplerSettings): RssSampler {
  const statm = openStatm(pid);
  const out = watcher(settings);
  const tick = () => {
    const t = now();
    const rss = statm.read();
    if (rss) out.take(t, rss); // 0: a zombie; undefined: gone
  };
  return onTimer('proc-statm', out, tick, () => statm.close());
}

export function startPidusageSampler(pid: number, settings: SamplerSettings): RssSampler {
  const out = watcher(settings);
  let busy: Promise<void> | undefined;
  const tick = () => {
    if (busy) return; // pidusage is async and slow (~0.3 ms); never stack calls
    const t = now();
    busy = pidusage(pid)
      .then((stat) => stat.memory > 0 && out.take(t, stat.memory))
      .catch(() => undefined)
      .then(() => (busy = undefined));
  };
  return onTimer('pidusage', out, tick, async () => {
    await busy;
    pidusage.clear();
  });
}

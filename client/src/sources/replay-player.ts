// Plays a stored run back through the same path the live stream takes (dispatch → apply), at 1×,
// 4× or 16× its real pace. Returns a function that stops it.
import type { RunRecord } from '../../../shared/run-record.js';
import type { ServerMessage } from '../../../shared/protocol/ws.js';
import { replayMessages } from '../state/replay.js';

export const REPLAY_SPEEDS = [1, 4, 16] as const;

export function playRecord(record: RunRecord, speed: number, emit: (message: ServerMessage) => void, onEnd: () => void = () => undefined): () => void {
  const timeline = replayMessages(record);
  const started = performance.now();
  let next = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // One timer per frame's worth of messages (not one per message: 1 kHz at 16× is 16 000 a second).
  const tick = () => {
    const now = (performance.now() - started) * speed;
    while (next < timeline.length && timeline[next]!.at <= now) emit(timeline[next++]!.message);
    if (next < timeline.length) timer = setTimeout(tick, Math.min(16, (timeline[next]!.at - now) / speed));
    else onEnd();
  };
  tick();
  return () => clearTimeout(timer);
}

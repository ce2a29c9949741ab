// What a worker prints on stdout and stderr — a custom run's own output — kept in arrival order up
// to a bound. Past it the bytes are still read (a worker blocked on a full pipe would hang its run)
// but only counted, and the record says the output was cut.
import { OUTPUT_MAX_BYTES } from '../shared/custom/facts.js';
import type { RunOutput } from '../shared/custom/code.js';

export interface OutputCapture {
  push(chunk: Buffer): void;
  result(): RunOutput;
}

export function captureOutput(maxBytes = OUTPUT_MAX_BYTES): OutputCapture {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  return {
    push(chunk) {
      total += chunk.length;
      if (kept >= maxBytes) return;
      const part = chunk.subarray(0, maxBytes - kept);
      chunks.push(part);
      kept += part.length;
    },
    result() {
      const truncated = total > kept;
      let text = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
      // The cut may fall inside a multi-byte character: drop its replacement mark.
      if (truncated) text = text.replace(/\uFFFD$/, '');
      return { text, bytes: total, truncated };
    },
  };
}

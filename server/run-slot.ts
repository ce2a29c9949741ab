// One run at a time per data directory, whichever process starts it: a server's queue and CLI
// runs on the same MEMTIDE_DATA take turns through the 'run' lock (storage/process-locks.ts). A
// run that finds the slot taken waits in its queue, and the registry asks again every WAIT_MS.
import { describeHolder, type ProcessLock } from './storage/process-locks.js';

export const WAIT_MS = 250;

export class RunSlot {
  private timer?: NodeJS.Timeout;
  private told = false;

  /** `lock` undefined: no other process to take turns with (tests). `owner` says who runs ("the server at http://…"). */
  constructor(
    private readonly lock: ProcessLock | undefined,
    private readonly owner: () => string,
    private readonly log: (line: string) => void,
  ) {}

  /** Takes the slot for a run of `experiment`, or says (once per wait) who has it. */
  take(experiment: string): boolean {
    let taken: boolean;
    try {
      taken = !this.lock || this.lock.take(`${this.owner()} running ${experiment}`);
    } catch (error) {
      // The lock file cannot be made (a full disk…): run anyway rather than never.
      this.log(`memtide: cannot take this data directory's run slot (${(error as Error).message}); ${experiment} runs without it`);
      taken = true;
    }
    if (taken) {
      this.told = false;
      return true;
    }
    if (!this.told) {
      const holder = this.lock?.holder();
      this.log(`memtide: ${experiment} waits for its turn: ${holder ? describeHolder(holder) : 'another process'} holds this data directory's run slot`);
      this.told = true;
    }
    return false;
  }

  release(): void {
    this.lock?.release();
  }

  /** Calls `retry` every WAIT_MS until stop(); keeps the process alive meanwhile (a waiting CLI run). */
  wait(retry: () => void): void {
    this.timer ??= setInterval(retry, WAIT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

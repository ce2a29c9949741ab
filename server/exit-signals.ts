// However this process ends, its worker goes with it. Workers run in their own process group (so
// kill() reaches whatever they fork), which also means a terminal's Ctrl+C or a closed terminal
// never reaches them: the server and the CLI must kill them, on every way out. One module for both.

/** What can end a run at once: RunRegistry. */
export interface Killable {
  /** Graceful: ends the queue and the running run (stored as cancelled), resolves when stored. */
  shutdown(): Promise<void>;
  /** Last resort: SIGKILLs the worker synchronously (for 'exit', where nothing async runs). */
  killNow(): void;
}

/** SIGHUP too: a closed terminal must not leave a worker running without its caps. */
export const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A signal that comes again within this long is the same request: Ctrl+C in a terminal reaches
 * both `npm start` (which forwards it to us, see @npmcli/run-script's signal-manager.js) and this
 * process, which is in the terminal's foreground process group too.
 */
export const REPEAT_WINDOW_MS = 1000;

/**
 * On the first signal: shut `runs` down (the running run is stored as cancelled), then exit with
 * `code`. A second signal after REPEAT_WINDOW_MS stops waiting. On any exit, even process.exit()
 * from elsewhere or an uncaught error, the worker is SIGKILLed.
 */
export function exitOnSignals(runs: Killable, code: number): void {
  process.on('exit', () => runs.killNow());
  let first: number | undefined;
  for (const signal of EXIT_SIGNALS) {
    process.on(signal, () => {
      const at = performance.now();
      if (first !== undefined) {
        if (at - first >= REPEAT_WINDOW_MS) process.exit(130); // 'exit' still kills the worker
        return;
      }
      first = at;
      void runs.shutdown().finally(() => process.exit(code));
    });
  }
}

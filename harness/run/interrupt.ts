/**
 * Ctrl-C (SIGINT) and SIGTERM handling for a run. The first signal aborts the trial in flight; the
 * runner then stops Remus and the guest, writes state and exits 130. Further signals do not skip
 * that cleanup: they only say that it is under way.
 */
export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** Name of the signal that interrupted the run, or null. */
  readonly received: () => NodeJS.Signals | null;
  dispose(): void;
}

export function installInterruptHandler(log: (line: string) => void): InterruptHandle {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log(
        `${signal} again: still stopping protection and the guest so that nothing is left running; please wait.`,
      );
      return;
    }
    received = signal;
    log(
      `\n${signal}: stopping the trial in flight, Remus protection and the guest; finished trials are on disk.`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

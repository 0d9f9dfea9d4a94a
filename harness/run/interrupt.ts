/**
 * Stop signals for a long command. Ctrl-C (SIGINT), a supervisor's stop (SIGTERM: systemd, a CI
 * cancel, `kill -- -PGID`) and a lost terminal or SSH session (SIGHUP) all mean the same: the first
 * one aborts the work in flight; the command then cleans up (for a run: stops Remus and the guest,
 * writes state and reports, prints the resume command) and exits 130. Further signals do not skip
 * that cleanup: they only say that it is under way.
 */
export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** Name of the signal that interrupted the command, or null. */
  readonly received: () => NodeJS.Signals | null;
  dispose(): void;
}

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const RUN_STOPPING =
  'stopping the trial in flight, Remus protection and the guest; finished trials are on disk';

export function installInterruptHandler(
  log: (line: string) => void,
  stopping: string = RUN_STOPPING,
): InterruptHandle {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log(`${signal} again: still ${stopping.split(';')[0]} so that nothing is left running; please wait.`);
      return;
    }
    received = signal;
    log(`\n${signal}: ${stopping}.`);
    controller.abort();
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}

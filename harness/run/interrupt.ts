/**
 * Stop signals for a long command. Ctrl-C (SIGINT), a supervisor's stop (SIGTERM: systemd, a CI
 * cancel, `kill -- -PGID`) and a lost terminal or SSH session (SIGHUP) all mean the same, in three
 * steps of impatience:
 * 1. the first aborts the work in flight; the command then cleans up (for a run: stops Remus and the
 *    guest, writes state and reports, prints the resume command) and exits 130;
 * 2. a second one skips what is only convenient (for a run: the reports) but still does the cleanup
 *    that keeps the hosts safe;
 * 3. a third one leaves at once, exit 130, after saying what may be left running and how to deal
 *    with it.
 * The same signal again within DUPLICATE_WINDOW_MS counts once: one Ctrl-C can arrive twice (from
 * the terminal to the whole process group, and relayed by npm when its shell execs the harness).
 */
export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** Name of the signal that interrupted the command, or null. */
  readonly received: () => NodeJS.Signals | null;
  /** Aborted by a second stop signal: skip what the cleanup can do without. */
  readonly hurry: AbortSignal;
  dispose(): void;
}

export interface InterruptTexts {
  /** What the first signal starts, e.g. "stopping what lab up started". */
  stopping: string;
  /** What a second signal skips; omitted: nothing can be skipped. */
  skipping?: string;
  /** Said when a third signal makes the command leave: what may be left running, and what to do. */
  leaving: () => string;
}

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export const DUPLICATE_WINDOW_MS = 300;

export const RUN_TEXTS: InterruptTexts = {
  stopping: 'stopping the trial in flight, Remus protection and the guest; finished trials are on disk',
  skipping: 'the reports',
  leaving: () => 'the guest and its protection may still be running.',
};

export function installInterruptHandler(
  log: (line: string) => void,
  texts: InterruptTexts = RUN_TEXTS,
  exit: (code: number) => void = (code) => process.exit(code),
): InterruptHandle {
  const controller = new AbortController();
  const hurry = new AbortController();
  let received: NodeJS.Signals | null = null;
  let count = 0;
  let last = { signal: '' as string, at: 0 };
  const cleanupPart = texts.stopping.split(';')[0];
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    const duplicate = signal === last.signal && now - last.at < DUPLICATE_WINDOW_MS;
    last = { signal, at: now };
    if (duplicate) return;
    count++;
    if (count === 1) {
      received = signal;
      const next = texts.skipping ? `send it again to skip ${texts.skipping}, ` : 'send it again ';
      log(`\n${signal}: ${texts.stopping}. (${next}a third time to leave at once.)`);
      controller.abort();
    } else if (count === 2) {
      log(
        texts.skipping
          ? `${signal} again: skipping ${texts.skipping}; still ${cleanupPart} so that nothing is left running (a third signal leaves at once).`
          : `${signal} again: still ${cleanupPart} so that nothing is left running (a third signal leaves at once).`,
      );
      hurry.abort();
    } else {
      log(`${signal} a third time: leaving now, without finishing the cleanup: ${texts.leaving()}`);
      exit(130);
    }
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    hurry: hurry.signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}

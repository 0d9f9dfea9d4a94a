import type { WorkloadModule } from '../../workloads/types.ts';
import type { Cell, PlannedTrial } from '../plan/plan.ts';
import { artifactDir, type RunPaths } from '../store/run-dir.ts';
import { type RunState, setTrial, type TrialState, writeState } from '../store/state.ts';
import type { Testbed } from '../testbeds/testbed.ts';
import { runTrial, type TrialOutcome } from './trial.ts';

export type FailedAttempts = NonNullable<TrialState['attempts']>;

/** ENOSPC (or EDQUOT) in an error message: the disk is full, not the trial broken. */
export const isDiskFull = (message: string) => /ENOSPC|EDQUOT|no space left on device/i.test(message);

export interface AttemptsInput {
  planned: PlannedTrial;
  cell: Cell;
  module: WorkloadModule;
  testbed: Testbed;
  timing: { warmupS: number; durationS: number };
  /** How many times a failed trial is tried again at once. */
  retries: number;
  paths: RunPaths;
  state: RunState;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * Runs one planned trial, retrying a failure up to `retries` times (not an interruption, a full
 * disk or an unsafe testbed). Every failed attempt is recorded in the state as it happens.
 */
export async function runWithRetries(
  input: AttemptsInput,
): Promise<{ outcome: TrialOutcome; attempts: FailedAttempts }> {
  const { planned, cell, module, testbed, timing, retries, paths, state, signal, log } = input;
  const attempts: FailedAttempts = [];
  setTrial(state, cell.id, planned.id, { status: 'running', startedAt: new Date().toISOString() });
  writeState(paths.state, state);
  for (;;) {
    const outcome = await runTrial(
      {
        trialId: planned.id,
        intervalMs: cell.intervalMs,
        warmupS: timing.warmupS,
        durationS: timing.durationS,
        artifactsDir: artifactDir(paths, planned.id),
      },
      testbed,
      module,
      signal,
    );
    if (
      outcome.status !== 'failed' ||
      outcome.stopRun ||
      isDiskFull(outcome.reason) ||
      attempts.length >= retries
    )
      return { outcome, attempts };
    attempts.push({ startedAt: outcome.startedAt, endedAt: outcome.endedAt, reason: outcome.reason });
    log(
      `    attempt ${attempts.length} failed: ${outcome.reason}; retrying (${attempts.length} of ${retries} retries)`,
    );
    setTrial(state, cell.id, planned.id, { status: 'running', startedAt: outcome.startedAt, attempts });
    writeState(paths.state, state);
  }
}

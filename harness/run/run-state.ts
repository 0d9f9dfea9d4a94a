import type { Plan } from '../plan/plan.ts';
import type { RunPaths } from '../store/run-dir.ts';
import { readSamples, rewriteSamples } from '../store/samples.ts';
import { doneTrialIds, initialState, type RunState, readState, writeState } from '../store/state.ts';

/**
 * The state a run starts from, written to disk. New run: every trial to do. Resume: the stored
 * state, with cells the plan gained added; trials that were running when the run stopped count as
 * not done, and the sample rows of trials that are not done (a crash after the samples write) are
 * removed, so that none counts twice.
 */
export function startingState(
  paths: RunPaths,
  plan: Plan,
  resumed: boolean,
  log: (line: string) => void,
): { state: RunState; done: Set<string> } {
  const stored = resumed ? readState(paths.state) : null;
  if (resumed && !stored)
    log('state.json is missing: the run stopped before it wrote its first state; every trial runs.');
  const state = stored ?? initialState(plan);
  for (const [cellId, cell] of Object.entries(initialState(plan).cells)) state.cells[cellId] ??= cell;
  const previous = readSamples(paths.samples);
  for (const warning of previous.warnings) log(`Warning: ${warning}`);
  const done = doneTrialIds(state);
  if (resumed) {
    const dropped = rewriteSamples(paths.samples, previous.rows, done);
    if (dropped > 0) log(`Removed ${dropped} sample rows of unfinished trials; those trials run again.`);
  }
  writeState(paths.state, state);
  return { state, done };
}

import { existsSync } from 'node:fs';
import type { Plan } from '../plan/plan.ts';
import { writeJsonAtomic } from './durable.ts';
import { readJsonFile } from './json-file.ts';

export type TrialStatus = 'todo' | 'running' | 'done' | 'failed' | 'skipped';
export type CellStatus = TrialStatus;

export interface TrialState {
  status: TrialStatus;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
  /** Failed attempts before the final one (bounded retries). */
  attempts?: { startedAt: string; endedAt: string; reason: string }[];
}

export interface CellState {
  status: CellStatus;
  reason?: string;
  trials: Record<string, TrialState>;
}

/** state.json: where each cell and trial stands, for --resume. */
export interface RunState {
  schema: 1;
  updatedAt: string;
  cells: Record<string, CellState>;
}

export function initialState(plan: Plan): RunState {
  const cells: Record<string, CellState> = {};
  for (const cell of plan.cells) {
    cells[cell.id] = cell.runnable
      ? { status: 'todo', trials: {} }
      : { status: 'skipped', reason: cell.notRunnableReason, trials: {} };
  }
  for (const t of plan.order) (cells[t.cellId] as CellState).trials[t.id] = { status: 'todo' };
  for (const t of plan.skipped) {
    (cells[t.cellId] as CellState).trials[t.id] = { status: 'skipped', reason: cells[t.cellId]?.reason };
  }
  return { schema: 1, updatedAt: new Date().toISOString(), cells };
}

/** A cell's status from its trials: failed > running > todo > done. */
export function deriveCellStatus(cell: CellState): { status: CellStatus; reason?: string } {
  const trials = Object.values(cell.trials);
  if (trials.length > 0 && trials.every((t) => t.status === 'skipped'))
    return { status: 'skipped', reason: cell.reason };
  const failed = trials.find((t) => t.status === 'failed');
  if (failed) return { status: 'failed', reason: failed.reason };
  if (trials.some((t) => t.status === 'running')) return { status: 'running' };
  if (trials.some((t) => t.status === 'todo')) return { status: 'todo' };
  return { status: 'done' };
}

export function setTrial(state: RunState, cellId: string, trialId: string, update: TrialState): void {
  const cell = state.cells[cellId];
  if (!cell) throw new Error(`state.json has no cell ${cellId}`);
  cell.trials[trialId] = update;
  const derived = deriveCellStatus(cell);
  cell.status = derived.status;
  if (derived.reason === undefined) delete cell.reason;
  else cell.reason = derived.reason;
  state.updatedAt = new Date().toISOString();
}

export function trialState(state: RunState, cellId: string, trialId: string): TrialState | undefined {
  return state.cells[cellId]?.trials[trialId];
}

export function doneTrialIds(state: RunState): Set<string> {
  const done = new Set<string>();
  for (const cell of Object.values(state.cells)) {
    for (const [id, t] of Object.entries(cell.trials)) if (t.status === 'done') done.add(id);
  }
  return done;
}

export function writeState(path: string, state: RunState): void {
  writeJsonAtomic(path, state);
}

/** The stored state; null when the run stopped before its first state was written. */
export function readState(path: string): RunState | null {
  if (!existsSync(path)) return null;
  return readJsonFile<RunState>(
    path,
    'Restore it from a copy, or delete it to run every trial of this run again (the rows already in samples.jsonl are then replaced).',
  );
}

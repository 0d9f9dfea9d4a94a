import type { Config, WorkloadName } from '../config/schema.ts';
import { ADAPTIVE, type CheckpointInterval, intervalKey } from '../store/interval.ts';
import { mulberry32, shuffled } from '../util/random.ts';

/** One cell of the matrix: a workload at one checkpoint interval, or at the unreplicated baseline. */
export interface Cell {
  id: string;
  workload: WorkloadName;
  /** Checkpoint interval in ms or `adaptive`; null for the baseline. */
  intervalMs: CheckpointInterval | null;
  /** False when the workload is not built yet; such cells are listed, never silently dropped. */
  runnable: boolean;
  notRunnableReason?: string;
}

export interface PlannedTrial {
  id: string;
  cellId: string;
  /** 1-based trial number within its cell. */
  trial: number;
}

export interface Plan {
  cells: Cell[];
  /** Runnable trials in execution order: round-robin blocks, each block shuffled with the seed. */
  order: PlannedTrial[];
  /** Trials that will not run (workload not built yet), by cell. */
  skipped: PlannedTrial[];
  seed: number;
  /** Estimated seconds per trial and for the whole order. */
  trialSeconds: number;
  etaSeconds: number;
}

/** Workloads whose implementation exists, and why the others cannot run yet. */
export interface WorkloadAvailability {
  isBuilt(name: WorkloadName): boolean;
  reason(name: WorkloadName): string;
  /** Why the testbed cannot run the `adaptive` interval; absent where it can. */
  adaptiveUnavailable?: string;
}

/** Every workload of the module list is built: a plan runs every one its config names. */
export const ALL_BUILT: WorkloadAvailability = { isBuilt: () => true, reason: () => 'built' };

export const cellId = (workload: string, interval: CheckpointInterval | null): string =>
  `${workload}@${intervalKey(interval)}`;

export const trialId = (cell: string, trial: number): string => `${cell}#${trial}`;

/**
 * Seconds a trial costs beyond warm-up and measurement: guest start, controller start, server
 * start, protection start and stop, drain of late replies. Measured on a 2-core Debian 12 VM
 * (about 1.2 to 1.6 s); the runner replaces this estimate with the observed mean once trials finish.
 */
export const TRIAL_OVERHEAD_SECONDS = 1.5;

/** Pure: config -> cells and the seeded, interleaved trial order. */
export function planExperiment(config: Config, availability: WorkloadAvailability = ALL_BUILT): Plan {
  const { matrix } = config;
  const intervals: (CheckpointInterval | null)[] = [
    ...(matrix.baseline ? [null] : []),
    ...dedupe(matrix.intervals),
  ];
  const cells: Cell[] = [];
  for (const workload of dedupe(matrix.workloads)) {
    for (const intervalMs of intervals) {
      const reason = !availability.isBuilt(workload)
        ? availability.reason(workload)
        : intervalMs === ADAPTIVE && availability.adaptiveUnavailable
          ? `adaptive: not on this testbed: ${availability.adaptiveUnavailable}`
          : undefined;
      cells.push({
        id: cellId(workload, intervalMs),
        workload,
        intervalMs,
        runnable: reason === undefined,
        ...(reason === undefined ? {} : { notRunnableReason: reason }),
      });
    }
  }

  // Interleave: every cell gets trial r before any cell gets trial r + 1, and within each round the
  // cells are shuffled, so slow drift of the host is spread over cells instead of read as overhead.
  const random = mulberry32(matrix.seed);
  const order: PlannedTrial[] = [];
  const skipped: PlannedTrial[] = [];
  for (let trial = 1; trial <= matrix.trials; trial++) {
    for (const cell of shuffled(cells, random)) {
      const planned = { id: trialId(cell.id, trial), cellId: cell.id, trial };
      (cell.runnable ? order : skipped).push(planned);
    }
  }
  const trialSeconds = matrix.warmupS + matrix.durationS + TRIAL_OVERHEAD_SECONDS;
  return { cells, order, skipped, seed: matrix.seed, trialSeconds, etaSeconds: trialSeconds * order.length };
}

/** `--shard i/n`: this process runs share i (1-based) of n of the plan. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The deterministic share of a plan for one host pair: every n-th trial of the execution order,
 * starting at position i - 1, so each shard keeps the interleaving. Trials that cannot run are
 * listed by shard 1 only, so merged shards list them once. Pure.
 */
export function shardPlan(plan: Plan, shard: Shard): Plan {
  const order = plan.order.filter((_, position) => position % shard.count === shard.index - 1);
  return {
    ...plan,
    order,
    skipped: shard.index === 1 ? plan.skipped : [],
    etaSeconds: plan.trialSeconds * order.length,
  };
}

function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

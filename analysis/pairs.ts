/**
 * A merged run whose shards ran on different host pairs: each cell's primary metric broken down by
 * pair, and whether the pairs differ. Pure over what loadRun read (the merged manifest says which
 * trials each shard finished, and where it ran).
 */
import { compareIntervals } from '../harness/store/interval.ts';
import type { SampleRow } from '../harness/store/samples.ts';
import { primaryMetric, runMetricSpecs } from './metric-specs.ts';
import type { RunData } from './run-data.ts';
import { mean, tInterval } from './stats.ts';
import { welchT } from './tests.ts';
import type { PairCell } from './types.ts';

/** Pairs differ in a cell when a Bonferroni-adjusted Welch p over two of them is below this. */
export const PAIRS_DIFFER_P = 0.05;

/** Trial id -> the line naming the host pair its shard ran on; empty unless two or more pairs. */
export function pairOfTrial(data: RunData): Map<string, string> {
  const shards = data.manifest.shards ?? [];
  if (new Set(shards.map((s) => s.placement.id)).size < 2) return new Map();
  return new Map(shards.flatMap((s) => s.trials.map((trial) => [trial, s.placement.label] as const)));
}

export function pairBreakdown(data: RunData, level: number): PairCell[] {
  const pairOf = pairOfTrial(data);
  if (pairOf.size === 0) return [];
  const specs = runMetricSpecs(data.manifest);
  const primary = new Map(Object.entries(specs).map(([workload, s]) => [workload, primaryMetric(s)]));
  const byCell = new Map<string, SampleRow[]>();
  for (const row of data.rows) {
    if (row.source !== 'workload' || primary.get(row.workload) !== row.metric || !pairOf.has(row.trialId))
      continue;
    const cell = byCell.get(row.cellId);
    if (cell) cell.push(row);
    else byCell.set(row.cellId, [row]);
  }
  const cells: PairCell[] = [];
  for (const [cellId, rows] of byCell) {
    const values = new Map<string, number[]>();
    for (const row of rows) {
      const pair = pairOf.get(row.trialId) as string;
      const list = values.get(pair);
      if (list) list.push(row.value);
      else values.set(pair, [row.value]);
    }
    const pairs = [...values]
      .map(([label, v]) => {
        const ci = tInterval(v, level);
        return { label, n: v.length, mean: mean(v), low: ci.low, high: ci.high };
      })
      .sort((a, b) => a.label.localeCompare(b.label));
    const first = rows[0] as SampleRow;
    cells.push({
      cellId,
      workload: first.workload,
      intervalMs: first.intervalMs,
      metric: first.metric,
      unit: first.unit,
      pairs,
      ...strongestDifference(values),
    });
  }
  return cells.sort(
    (a, b) => a.workload.localeCompare(b.workload) || compareIntervals(a.intervalMs, b.intervalMs),
  );
}

/** The two pairs that differ most (Welch's t, two by two, Bonferroni over the comparisons). */
function strongestDifference(values: Map<string, number[]>): Pick<PairCell, 'strongest' | 'differ'> {
  const testable = [...values].filter(([, v]) => v.length >= 2);
  const comparisons = (testable.length * (testable.length - 1)) / 2;
  let strongest: PairCell['strongest'];
  for (let i = 0; i < testable.length; i++) {
    for (let j = i + 1; j < testable.length; j++) {
      const [a, x] = testable[i] as [string, number[]];
      const [b, y] = testable[j] as [string, number[]];
      const raw = welchT(x, y).p;
      // Equal constant samples give NaN: no evidence of a difference.
      const p = Number.isFinite(raw) ? Math.min(1, raw * comparisons) : 1;
      if (!strongest || p < strongest.p) strongest = { a, b, p };
    }
  }
  return strongest ? { strongest, differ: strongest.p < PAIRS_DIFFER_P } : { differ: false };
}

import { type CheckpointInterval, compareIntervals } from '../harness/store/interval.ts';
import type { CheckpointCost, RunData } from './run-data.ts';
import { linearFit } from './stats.ts';
import type { PauseCost, PauseCostCell } from './types.ts';

/** Drawn per interval at most (every k-th); the fit uses every stored checkpoint. */
export const DRAWN_PER_INTERVAL = 400;

/**
 * What a checkpoint costs against what it copies (Remus's paper plots the same): every stored
 * checkpoint's pause against its dirty pages, per interval, and one least-squares line over all
 * of them, whose slope is the pause per copied page. Null when no trial stored dirty pages per
 * checkpoint (a testbed without memory replication, or xl remus, which prints no pause).
 */
export function pauseCost(data: RunData): PauseCost | null {
  if (data.checkpointCosts.size === 0) return null;
  const intervalOf = new Map(data.rows.map((r) => [r.trialId, r.intervalMs]));
  const trialsByInterval = new Map<
    string,
    { intervalMs: CheckpointInterval; costs: CheckpointCost[]; checkpoints: number }
  >();
  for (const [trialId, costs] of data.checkpointCosts) {
    const intervalMs = intervalOf.get(trialId);
    if (intervalMs === undefined || intervalMs === null) continue;
    const group = trialsByInterval.get(String(intervalMs)) ?? { intervalMs, costs: [], checkpoints: 0 };
    group.costs.push(costs);
    group.checkpoints += costs.pauseUs.length;
    trialsByInterval.set(String(intervalMs), group);
  }
  const groups = [...trialsByInterval.values()].sort((a, b) => compareIntervals(a.intervalMs, b.intervalMs));
  if (groups.length === 0) return null;
  const total = groups.reduce((sum, g) => sum + g.checkpoints, 0);
  const pages = new Float64Array(total);
  const pauses = new Float64Array(total);
  let at = 0;
  const cells: PauseCostCell[] = groups.map(({ intervalMs, costs, checkpoints }) => {
    const stride = Math.ceil(checkpoints / DRAWN_PER_INTERVAL);
    const points: [number, number][] = [];
    let index = 0;
    for (const c of costs)
      for (let i = 0; i < c.pauseUs.length; i++, index++, at++) {
        pages[at] = c.dirtyPages[i] as number;
        pauses[at] = c.pauseUs[i] as number;
        if (index % stride === 0) points.push([pages[at] as number, pauses[at] as number]);
      }
    return { intervalMs, points, checkpoints };
  });
  return { cells, fit: linearFit(pages, pauses) };
}

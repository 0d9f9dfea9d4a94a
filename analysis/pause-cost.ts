import { compareIntervals } from '../harness/store/interval.ts';
import type { SampleRow } from '../harness/store/samples.ts';
import type { RunData } from './run-data.ts';
import { linearFit } from './stats.ts';
import type { PauseCost, PauseCostCell } from './types.ts';

/** Drawn per interval at most (every k-th); the fit uses every stored checkpoint. */
export const DRAWN_PER_INTERVAL = 800;

/**
 * What a checkpoint costs against what it copies (Remus's paper plots the same): every stored
 * checkpoint's pause against its dirty pages, per interval, and one least-squares line over all
 * of them, whose slope is the pause per copied page. Null when no trial stored dirty pages per
 * checkpoint (a testbed without memory replication, or xl remus, which prints no pause).
 */
export function pauseCost(data: RunData, rows: readonly SampleRow[]): PauseCost | null {
  if (data.checkpointCosts.size === 0) return null;
  const intervalOf = new Map(rows.map((r) => [r.trialId, r.intervalMs]));
  const byInterval = new Map<string, PauseCostCell>();
  const pages: number[] = [];
  const pauses: number[] = [];
  for (const [trialId, costs] of data.checkpointCosts) {
    const intervalMs = intervalOf.get(trialId);
    if (intervalMs === undefined || intervalMs === null) continue;
    const key = String(intervalMs);
    const cell = byInterval.get(key) ?? { intervalMs, points: [], checkpoints: 0 };
    byInterval.set(key, cell);
    for (const c of costs) {
      cell.points.push([c.dirtyPages, c.pauseUs]);
      pages.push(c.dirtyPages);
      pauses.push(c.pauseUs);
    }
    cell.checkpoints += costs.length;
  }
  const cells = [...byInterval.values()].sort((a, b) => compareIntervals(a.intervalMs, b.intervalMs));
  if (cells.length === 0) return null;
  for (const cell of cells) {
    const stride = Math.ceil(cell.points.length / DRAWN_PER_INTERVAL);
    if (stride > 1) cell.points = cell.points.filter((_, i) => i % stride === 0);
  }
  return { cells, fit: linearFit(pages, pauses) };
}

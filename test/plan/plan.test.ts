import { describe, expect, it } from 'vitest';
import { flagsLayer } from '../../harness/commands/experiment-options.ts';
import { labelLayer, matrixLayer, resolveConfig } from '../../harness/config/load.ts';
import { formatPlan } from '../../harness/plan/format.ts';
import { ALL_BUILT as availability, planExperiment } from '../../harness/plan/plan.ts';

const full = () => {
  const m = matrixLayer('full');
  return resolveConfig([labelLayer(m.layer, m.label)]);
};

describe('planExperiment', () => {
  it('quick: baseline + 2 intervals x cpu + latency x 3 trials', () => {
    const plan = planExperiment(resolveConfig([]), availability);
    expect(plan.cells.map((c) => c.id)).toEqual([
      'cpu@baseline',
      'cpu@25ms',
      'cpu@100ms',
      'latency@baseline',
      'latency@25ms',
      'latency@100ms',
    ]);
    expect(plan.order).toHaveLength(18);
    expect(plan.skipped).toHaveLength(0);
  });

  it('full: 6 intervals x 6 workloads x 5 trials, unbuilt workloads listed as not runnable', () => {
    // Every workload is built now; planning still lists a workload that is not, never drops it.
    const memoryUnbuilt = {
      isBuilt: (name: string) => name !== 'memory',
      reason: () => 'not built yet (test)',
    };
    const plan = planExperiment(full(), memoryUnbuilt);
    expect(plan.cells).toHaveLength(36);
    expect(plan.order).toHaveLength(150);
    expect(plan.skipped).toHaveLength(30);
    const memory = plan.cells.find((c) => c.id === 'memory@25ms');
    expect(memory?.runnable).toBe(false);
    expect(memory?.notRunnableReason).toMatch(/not built yet/);
    const text = formatPlan(plan, full());
    expect(text).toMatch(/memory@400ms .*NOT RUNNABLE: not built yet/);
    expect(text).toMatch(/http@400ms\s+checkpoint every 400 ms\s+5 trials/);
    expect(text).toMatch(/ETA: /);
  });

  it('interleaves: every cell gets trial r before any cell gets trial r + 1', () => {
    const plan = planExperiment(resolveConfig([]), availability);
    const rounds = plan.order.map((t) => t.trial);
    expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
    for (let r = 1; r <= 3; r++) {
      expect(new Set(plan.order.filter((t) => t.trial === r).map((t) => t.cellId)).size).toBe(6);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const order = (seed: string) =>
      planExperiment(resolveConfig([flagsLayer({ seed })]), availability).order.map((t) => t.id);
    expect(order('7')).toEqual(order('7'));
    expect(order('7')).not.toEqual(order('8'));
  });

  it('estimates the ETA from warm-up, duration and per-trial set-up', () => {
    const plan = planExperiment(
      resolveConfig([flagsLayer({ duration: '10', warmup: '2', trials: '1' })]),
      availability,
    );
    expect(plan.trialSeconds).toBeCloseTo(13.5);
    expect(plan.etaSeconds).toBeCloseTo(13.5 * 6);
  });
});

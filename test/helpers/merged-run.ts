import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type ExperimentFlags, flagsLayer } from '../../harness/commands/experiment-options.ts';
import { labelLayer, matrixLayer, readJsonLayer, resolveConfig } from '../../harness/config/load.ts';
import { ALL_BUILT, type Plan, planExperiment } from '../../harness/plan/plan.ts';
import type { Manifest } from '../../harness/store/manifest.ts';
import { readSamples } from '../../harness/store/samples.ts';
import type { RunState } from '../../harness/store/state.ts';

/**
 * Checks that the merged run in `dir` is the unsharded `plan`: its trial order, its cells, every
 * trial done, and rows of every trial. Returns the merged manifest.
 */
export function expectMergedEqualsPlan(dir: string, plan: Plan, trialsPerCell: number): Manifest {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  expect(manifest.order).toEqual(plan.order.map((t) => t.id));
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState;
  expect(Object.keys(state.cells).sort()).toEqual(plan.cells.map((c) => c.id).sort());
  for (const cell of Object.values(state.cells)) {
    expect(cell.status).toBe('done');
    expect(Object.keys(cell.trials)).toHaveLength(trialsPerCell);
  }
  const trials = new Set(readSamples(join(dir, 'samples.jsonl')).rows.map((r) => r.trialId));
  expect(trials).toEqual(new Set(plan.order.map((t) => t.id)));
  return manifest;
}

/** The plan an unsharded run of the config file, a matrix preset and experiment flags would run. */
export function unshardedPlan(configPath: string, matrix: string | null, flags: ExperimentFlags): Plan {
  const layers = [labelLayer(readJsonLayer(configPath, 'c'), 'c')];
  if (matrix) {
    const preset = matrixLayer(matrix);
    layers.push(labelLayer(preset.layer, preset.label));
  }
  return planExperiment(resolveConfig([...layers, flagsLayer(flags)]), ALL_BUILT);
}

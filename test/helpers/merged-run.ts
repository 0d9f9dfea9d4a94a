import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Plan } from '../../harness/plan/plan.ts';
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

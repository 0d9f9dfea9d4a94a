import { WORKLOAD_NAMES, WORKLOADS } from '../../workloads/index.ts';
import { TESTBEDS } from '../testbeds/index.ts';
import type { Config, MatrixConfig, TestbedName } from './schema.ts';

/**
 * `quick`: a few minutes on a 2-core machine; the baseline and two intervals, the workloads marked
 * `quick` in the module list (CPU and latency), 3 short trials per cell.
 */
export const QUICK_MATRIX: MatrixConfig = {
  baseline: true,
  intervals: [25, 100],
  workloads: WORKLOADS.filter((w) => w.quick).map((w) => w.name),
  trials: 3,
  durationS: 5,
  warmupS: 1,
  seed: 1,
};

/**
 * `full`: the study's matrix: baseline + 25..400 ms (40 to 2.5 checkpoints/s; xl's default is
 * 200 ms), every workload of the module list, 5 trials per cell.
 */
export const FULL_MATRIX: MatrixConfig = {
  baseline: true,
  intervals: [25, 50, 100, 200, 400],
  workloads: [...WORKLOAD_NAMES],
  trials: 5,
  durationS: 20,
  warmupS: 3,
  seed: 1,
};

export const MATRIX_PRESETS: Record<string, MatrixConfig> = { quick: QUICK_MATRIX, full: FULL_MATRIX };

/** Each workload's defaults for one testbed kind, from the module list. */
function workloadDefaultsFor(testbed: TestbedName): Record<string, unknown> {
  return Object.fromEntries(
    WORKLOADS.flatMap((w) => {
      const defaults = w.testbedDefaults?.[testbed];
      return defaults ? [[w.name, defaults]] : [];
    }),
  );
}

/**
 * Defaults that differ per testbed, applied under the user's layers: the testbed's own section (when
 * it has defaults; the default testbed's are in DEFAULT_CONFIG) and what each workload uses there
 * instead of its usual defaults (e.g. the Xen lab's guest has no node), all from the module lists.
 */
export const TESTBED_DEFAULTS: Partial<Record<TestbedName, Record<string, unknown>>> = Object.fromEntries(
  TESTBEDS.flatMap((t, index) => {
    const workloads = workloadDefaultsFor(t.kind);
    const section = index > 0 && t.defaults !== undefined ? { [t.section]: t.defaults } : null;
    if (!section && Object.keys(workloads).length === 0) return [];
    return [[t.kind, { ...(section ? { testbed: section } : {}), workloads }]];
  }),
);

const [DEFAULT_TESTBED] = TESTBEDS;

export const DEFAULT_CONFIG: Config = {
  matrix: QUICK_MATRIX,
  testbed: {
    kind: DEFAULT_TESTBED.kind,
    [DEFAULT_TESTBED.section]: DEFAULT_TESTBED.defaults,
  } as Config['testbed'],
  workloads: Object.fromEntries(WORKLOADS.map((w) => [w.name, w.defaults])) as Config['workloads'],
  retries: 1,
  minFreeMB: 64,
  results: 'results',
};

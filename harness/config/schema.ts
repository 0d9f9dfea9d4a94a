import { z } from 'zod';
import { WORKLOAD_NAMES, WORKLOADS } from '../../workloads/index.ts';
import { ADAPTIVE } from '../store/interval.ts';
import { TESTBED_NAMES, TESTBEDS } from '../testbeds/index.ts';
import type { TestbedDefinition } from '../testbeds/testbed.ts';

/**
 * The one schema of a remus-bench configuration. Every type of the config is inferred from it, so
 * the file format, the CLI overrides and the code cannot drift apart.
 */

// The workloads and the testbeds, and their config sections, come from the module lists.
export { WORKLOAD_NAMES, type WorkloadName } from '../../workloads/index.ts';
export type { EmulatedConfig } from '../testbeds/emulated/config.ts';
export { FREEZER_CHOICES, PRIORITY_CHOICES, TRACKING_CHOICES } from '../testbeds/emulated/config.ts';
export { TESTBED_NAMES, type TestbedName } from '../testbeds/index.ts';
export type { SshTargetConfig, XenConfig } from '../testbeds/xen/config.ts';
export type { XenLabConfig } from '../testbeds/xen-lab/config.ts';

type WorkloadDefinitions = (typeof WORKLOADS)[number];
/** `workloads.<name>`: each workload's own schema, under its name. */
const workloadSections = Object.fromEntries(WORKLOADS.map((w) => [w.name, w.configSchema])) as {
  [D in WorkloadDefinitions as D['name']]: D['configSchema'];
};

const intervalMs = z
  .number({ error: 'expected a checkpoint interval in milliseconds (a number)' })
  .int({ error: 'expected a whole number of milliseconds' })
  .min(1, { error: 'expected an interval of at least 1 ms (the baseline is `matrix.baseline`, not 0)' })
  .max(10_000, { error: 'expected at most 10000 ms' });

export const matrixSchema = z.strictObject({
  /** Include the unreplicated baseline cell for every workload. */
  baseline: z.boolean({ error: 'expected true or false' }),
  /**
   * Checkpoint intervals in ms, and `adaptive` (the emulated testbed's adaptive schedule, bounds in
   * `testbed.emulated.adaptive`); each one is a protected cell per workload.
   */
  intervals: z.array(
    z.union([intervalMs, z.literal(ADAPTIVE)], {
      error: 'expected a checkpoint interval in milliseconds (a whole number) or "adaptive"',
    }),
    { error: 'expected a list of intervals in ms, e.g. [25, 100, "adaptive"]' },
  ),
  workloads: z
    .array(z.enum(WORKLOAD_NAMES, { error: `expected one of ${WORKLOAD_NAMES.join(', ')}` }), {
      error: 'expected a list of workload names',
    })
    .min(1, { error: 'expected at least one workload' }),
  /** Trials per cell. */
  trials: z
    .number({ error: 'expected a number of trials' })
    .int({ error: 'expected a whole number of trials' })
    .min(1, { error: 'expected at least 1 trial' })
    .max(1000, { error: 'expected at most 1000 trials' }),
  /** Measured seconds per trial (whole seconds: sysbench's --time takes whole seconds). */
  durationS: z
    .number({ error: 'expected a duration in seconds' })
    .int({ error: 'expected whole seconds' })
    .min(1, { error: 'expected at least 1 s' })
    .max(3600, { error: 'expected at most 3600 s' }),
  /** Unmeasured seconds before each measurement, under the same protection. */
  warmupS: z
    .number({ error: 'expected a warm-up in seconds' })
    .min(0, { error: 'expected 0 or more seconds' })
    .max(600, { error: 'expected at most 600 s' }),
  /** Seed of the trial order shuffle; recorded in the manifest. */
  seed: z
    .number({ error: 'expected a seed (a whole number)' })
    .int({ error: 'expected a whole number' })
    .min(0, { error: 'expected 0 or more' })
    .max(2 ** 32 - 1, { error: 'expected at most 4294967295' }),
});

type TestbedDefinitions = (typeof TESTBEDS)[number];
/** `testbed.<section>`: each testbed's own schema, optional (its defaults, or an error, when absent). */
const testbedSections = Object.fromEntries(TESTBEDS.map((t) => [t.section, t.configSchema.optional()])) as {
  [D in TestbedDefinitions as D['section']]: z.ZodOptional<D['configSchema']>;
};

export const testbedSchema = z
  .strictObject({
    kind: z.enum(TESTBED_NAMES, { error: `expected one of ${TESTBED_NAMES.join(', ')}` }),
    ...testbedSections,
  })
  .superRefine((testbed, context) => {
    const sections = testbed as Record<string, unknown>;
    for (const definition of TESTBEDS as readonly TestbedDefinition[]) {
      const given = sections[definition.section] !== undefined;
      if (definition.kind === testbed.kind && !given && definition.defaults === undefined) {
        context.addIssue({
          code: 'custom',
          path: [definition.section],
          message: definition.whenMissing ?? `required when testbed.kind is "${definition.kind}"`,
        });
      }
      if (definition.kind !== testbed.kind && given && definition.onlyWithItsKind) {
        context.addIssue({
          code: 'custom',
          path: [definition.section],
          message: `only for testbed.kind "${definition.kind}" (this run's is "${testbed.kind}"); ${definition.onlyWithItsKind}`,
        });
      }
    }
  });

export const configSchema = z.strictObject({
  matrix: matrixSchema.superRefine((matrix, context) => {
    if (matrix.intervals.length === 0 && !matrix.baseline) {
      context.addIssue({
        code: 'custom',
        message: 'nothing to run: no intervals and no baseline; give intervals or keep the baseline',
      });
    }
    const repeated = matrix.intervals.filter((ms, i) => matrix.intervals.indexOf(ms) !== i);
    if (repeated.length) {
      context.addIssue({
        code: 'custom',
        path: ['intervals'],
        message: `each interval once: ${[...new Set(repeated)].join(', ')} repeated`,
      });
    }
  }),
  testbed: testbedSchema,
  workloads: z.strictObject(workloadSections),
  /** How many times a failed trial is retried at once before it counts as failed. */
  retries: z
    .number({ error: 'expected a number of retries' })
    .int({ error: 'expected a whole number' })
    .min(0)
    .max(10),
  /** Free space (MB) the results file system must have before each trial; below it the run stops. */
  minFreeMB: z.number({ error: 'expected megabytes (a number)' }).min(0, { error: 'expected 0 or more' }),
  /** Directory that holds one folder per run. */
  results: z.string().min(1, { error: 'expected a directory path' }),
});

export type Config = z.infer<typeof configSchema>;
export type MatrixConfig = z.infer<typeof matrixSchema>;

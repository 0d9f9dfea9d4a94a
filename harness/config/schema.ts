import { z } from 'zod';
import { WORKLOAD_NAMES, WORKLOADS } from '../../workloads/index.ts';
import { backupAddress, hostName, remotePath, transportCommand, userName, xenName } from './remote-words.ts';

/**
 * The one schema of a remus-bench configuration. Every type of the config is inferred from it, so
 * the file format, the CLI overrides and the code cannot drift apart.
 */

// The workloads and their config sections come from the module list.
export { WORKLOAD_NAMES, type WorkloadName } from '../../workloads/index.ts';

type WorkloadDefinitions = (typeof WORKLOADS)[number];
/** `workloads.<name>`: each workload's own schema, under its name. */
const workloadSections = Object.fromEntries(WORKLOADS.map((w) => [w.name, w.configSchema])) as {
  [D in WorkloadDefinitions as D['name']]: D['configSchema'];
};

export const TESTBED_NAMES = ['emulated', 'xen', 'xen-lab'] as const;
export type TestbedName = (typeof TESTBED_NAMES)[number];

export const FREEZER_CHOICES = ['auto', 'cgroup2', 'cgroup1', 'sigstop'] as const;
export const PRIORITY_CHOICES = ['auto', 'realtime', 'nice', 'normal'] as const;

const intervalMs = z
  .number({ error: 'expected a checkpoint interval in milliseconds (a number)' })
  .int({ error: 'expected a whole number of milliseconds' })
  .min(1, { error: 'expected an interval of at least 1 ms (the baseline is `matrix.baseline`, not 0)' })
  .max(10_000, { error: 'expected at most 10000 ms' });

export const matrixSchema = z.strictObject({
  /** Include the unreplicated baseline cell for every workload. */
  baseline: z.boolean({ error: 'expected true or false' }),
  /** Checkpoint intervals in ms; each one is a protected cell per workload. */
  intervals: z.array(intervalMs, { error: 'expected a list of intervals in ms, e.g. [25, 100]' }),
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

export const TRACKING_CHOICES = ['auto', 'uffd-wp', 'soft-dirty', 'full-compare', 'none'] as const;

export const emulatedSchema = z.strictObject({
  /** How the guest is paused; `auto` takes the best the host offers and records it. */
  freezer: z.enum(FREEZER_CHOICES, { error: `expected one of ${FREEZER_CHOICES.join(', ')}` }),
  /** Scheduling priority of the checkpoint controller; `auto` takes the best permitted. */
  priority: z.enum(PRIORITY_CHOICES, { error: `expected one of ${PRIORITY_CHOICES.join(', ')}` }),
  /**
   * How written guest pages are found at each checkpoint (copied to the backup process); `auto`
   * takes the best that works here; `none` copies no memory (the checkpoint commits at the end of
   * its pause: the cost of pausing and output commit alone).
   */
  tracking: z.enum(TRACKING_CHOICES, { error: `expected one of ${TRACKING_CHOICES.join(', ')}` }),
});

/** How the harness reaches one host over SSH. Secrets never go here: see passphraseEnv. */
export const sshTargetSchema = z.strictObject({
  host: hostName,
  port: z.number().int().min(1).max(65_535),
  user: userName,
  /** Private key file; omit to use the SSH agent ($SSH_AUTH_SOCK). */
  keyFile: z.string().min(1).optional(),
  /** Name of the environment variable holding the key's passphrase (the passphrase itself is never stored). */
  passphraseEnv: z.string().min(1).optional(),
  /** OpenSSH known_hosts file with this host's key (plain or hashed entry); unknown keys are refused. */
  knownHosts: z.string().min(1, { error: 'expected the path of a known_hosts file' }),
});

export const xenSchema = z.strictObject({
  /** The dom0 that runs the guest and `xl remus`. */
  primary: sshTargetSchema,
  /** The dom0 that receives the checkpoints. */
  backup: sshTargetSchema,
  /** The backup as the primary names it in `xl remus ... <host>` (after the transport command). */
  backupAddress,
  /** `xl remus -s`: the transport command on the primary (must log in to the backup without a prompt). */
  transport: transportCommand,
  guest: z.strictObject({
    /** The protected domain's name on the primary. */
    domain: xenName('a Xen domain name'),
    /** Address the harness's network clients use to reach the guest. */
    address: hostName,
    /** SSH into the guest, for in-guest programs. */
    ssh: sshTargetSchema,
    /**
     * A network namespace of the harness host (`ip netns`) from which the guest is reachable: its
     * SSH and the workload clients then run inside it. Omit when the guest is reachable directly.
     */
    netns: xenName('a network namespace name (see `ip netns list`)').optional(),
  }),
  remus: z.strictObject({
    /**
     * Unsafe Remus flags (xl remus -F plus these), recorded on every sample: `noNetbuf` (-n: replies
     * are not held until the checkpoint commits), `noDiskReplication` (-d), `blackhole` (-b).
     */
    unsafe: z.strictObject({ noNetbuf: z.boolean(), noDiskReplication: z.boolean(), blackhole: z.boolean() }),
    /** Folder on the primary for the xl remus logs. */
    logDir: remotePath,
  }),
  /** Seconds to wait for the first checkpoint (the initial copy of the guest's memory). */
  readyTimeoutS: z.number().min(1).max(3600),
});

export const xenLabSchema = z.strictObject({
  /**
   * Remus's output commit in the lab: true runs `xl remus` with network buffering (the lab's libxl is
   * built with libnl: the guest's output waits in dom0 until its checkpoint is on the backup); false
   * runs the unsafe `xl remus -F -n` (output leaves at once). Recorded on every sample.
   */
  networkBuffering: z.boolean(),
});

export const testbedSchema = z
  .strictObject({
    kind: z.enum(TESTBED_NAMES, { error: `expected one of ${TESTBED_NAMES.join(', ')}` }),
    emulated: emulatedSchema,
    xen: xenSchema.optional(),
    /** The Xen lab in a box (`kind: "xen-lab"`); its defaults come with the testbed. */
    xenLab: xenLabSchema.optional(),
  })
  .superRefine((testbed, context) => {
    if (testbed.kind === 'xen' && !testbed.xen) {
      context.addIssue({
        code: 'custom',
        path: ['xen'],
        message:
          'required when testbed.kind is "xen": the primary and backup dom0s, the guest and the Remus options (see README, "The Xen testbed")',
      });
    }
    if (testbed.xenLab && testbed.kind !== 'xen-lab') {
      context.addIssue({
        code: 'custom',
        path: ['xenLab'],
        message: `only for testbed.kind "xen-lab" (this run's is "${testbed.kind}"); on real dom0s set testbed.xen.remus.unsafe.noNetbuf`,
      });
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
export type EmulatedConfig = z.infer<typeof emulatedSchema>;
export type XenConfig = z.infer<typeof xenSchema>;
export type XenLabConfig = z.infer<typeof xenLabSchema>;
export type SshTargetConfig = z.infer<typeof sshTargetSchema>;

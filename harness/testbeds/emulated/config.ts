import { z } from 'zod';

/** `testbed.emulated`: how the emulated testbed pauses the guest, schedules its controller and tracks pages. */
export const FREEZER_CHOICES = ['auto', 'cgroup2', 'cgroup1', 'sigstop'] as const;
export const PRIORITY_CHOICES = ['auto', 'realtime', 'nice', 'normal'] as const;

export const TRACKING_CHOICES = ['auto', 'uffd-wp', 'soft-dirty', 'full-compare', 'none'] as const;

const epochMs = z
  .number({ error: 'expected milliseconds (a number)' })
  .int({ error: 'expected a whole number of milliseconds' })
  .min(1, { error: 'expected at least 1 ms' })
  .max(10_000, { error: 'expected at most 10000 ms' });

/** Bounds of the adaptive schedule (the `adaptive` interval of the matrix). */
export const adaptiveSchema = z
  .strictObject({ minMs: epochMs, maxMs: epochMs, initialMs: epochMs })
  .superRefine((policy, context) => {
    if (policy.minMs > policy.maxMs)
      context.addIssue({ code: 'custom', path: ['minMs'], message: `greater than maxMs (${policy.maxMs})` });
    if (policy.initialMs < policy.minMs || policy.initialMs > policy.maxMs)
      context.addIssue({
        code: 'custom',
        path: ['initialMs'],
        message: `expected a length between minMs (${policy.minMs}) and maxMs (${policy.maxMs})`,
      });
  });

/** 25 to 400 ms: the study's range of intervals; it starts in the middle (100 ms). */
export const ADAPTIVE_DEFAULTS = { minMs: 25, maxMs: 400, initialMs: 100 };

/** `testbed.emulated.backupLink`: the checkpoint stream's link to the backup process, shaped. */
export const backupLinkSchema = z.strictObject({
  /** Rate of the primary-to-backup direction in Mbit/s (tbf; frames with their headers, as on a wire). */
  rateMbit: z
    .number({ error: 'expected a rate in Mbit/s (a number), e.g. 1000 for a 1 Gbit/s link' })
    .int({ error: 'expected a whole number of Mbit/s' })
    .min(1, { error: 'expected at least 1 Mbit/s' })
    .max(100_000, { error: 'expected at most 100000 Mbit/s (100 Gbit/s)' }),
});

export const emulatedSchema = z
  .strictObject({
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
    /** The adaptive schedule's bounds; ADAPTIVE_DEFAULTS when absent. */
    adaptive: adaptiveSchema.optional(),
    /**
     * A backup link of a given rate (the backup in its own network namespace behind a shaped veth);
     * absent: loopback, as fast as this host copies memory.
     */
    backupLink: backupLinkSchema.optional(),
  })
  .superRefine((emulated, context) => {
    if (emulated.backupLink && emulated.tracking === 'none')
      context.addIssue({
        code: 'custom',
        path: ['backupLink'],
        message:
          'needs memory replication: with tracking "none" no checkpoint is shipped to a backup; set tracking to "auto" or remove backupLink',
      });
  });

export type EmulatedConfig = z.infer<typeof emulatedSchema>;

export const EMULATED_DEFAULTS: EmulatedConfig = {
  freezer: 'auto',
  priority: 'auto',
  tracking: 'auto',
  adaptive: ADAPTIVE_DEFAULTS,
};

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
  /** The adaptive schedule's bounds; ADAPTIVE_DEFAULTS when absent. */
  adaptive: adaptiveSchema.optional(),
});

export type EmulatedConfig = z.infer<typeof emulatedSchema>;

export const EMULATED_DEFAULTS: EmulatedConfig = {
  freezer: 'auto',
  priority: 'auto',
  tracking: 'auto',
  adaptive: ADAPTIVE_DEFAULTS,
};

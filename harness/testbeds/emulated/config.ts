import { z } from 'zod';

/** `testbed.emulated`: how the emulated testbed pauses the guest, schedules its controller and tracks pages. */
export const FREEZER_CHOICES = ['auto', 'cgroup2', 'cgroup1', 'sigstop'] as const;
export const PRIORITY_CHOICES = ['auto', 'realtime', 'nice', 'normal'] as const;

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

export type EmulatedConfig = z.infer<typeof emulatedSchema>;

export const EMULATED_DEFAULTS: EmulatedConfig = { freezer: 'auto', priority: 'auto', tracking: 'auto' };

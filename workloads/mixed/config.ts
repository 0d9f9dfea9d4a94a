import { z } from 'zod';

/** `workloads.mixed`: the open-loop rate and the CPU work each request costs in the guest. */
export const mixedWorkloadSchema = z.strictObject({
  /** Requests per second, each sent at its due time whatever is outstanding (open loop). */
  ratePerS: z.number().min(1).max(5_000),
  /** Rounds of the server's xorshift generator per request: a count of operations, not a time. */
  workIterations: z.number().int().min(0).max(1_000_000_000),
  /** A reply later than this after the end of the measurement counts as lost. */
  timeoutMs: z.number().int().min(10).max(60_000),
});

export type MixedWorkloadConfig = z.infer<typeof mixedWorkloadSchema>;

// 97 requests/s (a period of 10.3 ms that divides no preset interval, so requests fall at every
// phase of the epoch) x 400,000 rounds (0.81 ms of CPU each in Node 20 on this machine, warm):
// the guest computes about 8 % of its time and talks the rest, Adaptive Remus's case of an
// application that needs both.
export const MIXED_DEFAULTS: MixedWorkloadConfig = {
  ratePerS: 97,
  workIterations: 400_000,
  timeoutMs: 2000,
};

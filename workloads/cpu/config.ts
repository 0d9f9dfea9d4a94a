import { z } from 'zod';

/** `workloads.cpu`: sysbench cpu's own knobs. */
export const cpuWorkloadSchema = z.strictObject({
  threads: z.number().int().min(1).max(256),
  maxPrime: z.number().int().min(100).max(10_000_000),
});

export type CpuWorkloadConfig = z.infer<typeof cpuWorkloadSchema>;

export const CPU_DEFAULTS: CpuWorkloadConfig = { threads: 1, maxPrime: 10_000 };

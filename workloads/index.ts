import { cpuWorkload } from './cpu/index.ts';
import { httpWorkload } from './http/index.ts';
import { latencyWorkload } from './latency/index.ts';
import { memoryWorkload } from './memory/index.ts';
import type { WorkloadDefinition, WorkloadModule } from './types.ts';

/**
 * The module list: every workload the harness can run (its import above, its name below), in the
 * order of the full matrix. The config schema and its defaults, the presets, the run loop,
 * analysis (for runs that predate recorded metric specs) and the console summary read it here.
 */
export const WORKLOADS = [cpuWorkload, memoryWorkload, latencyWorkload, httpWorkload] as const;

export type WorkloadName = (typeof WORKLOADS)[number]['name'];

export const WORKLOAD_NAMES = WORKLOADS.map((w) => w.name) as [WorkloadName, ...WorkloadName[]];

/** Each workload bound to its section of the config, by name. */
export function configureWorkloads(sections: Readonly<Record<string, unknown>>): Map<string, WorkloadModule> {
  return new Map(
    WORKLOADS.map((w) => {
      // The config schema gives each section its workload's own type; the list cannot say so per item.
      const definition = w as unknown as WorkloadDefinition;
      return [w.name, definition.configure(sections[w.name])];
    }),
  );
}

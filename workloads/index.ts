import { compileWorkload } from './compile/index.ts';
import { cpuWorkload } from './cpu/index.ts';
import { httpWorkload } from './http/index.ts';
import { latencyWorkload } from './latency/index.ts';
import { memoryWorkload } from './memory/index.ts';
import { mixedWorkload } from './mixed/index.ts';
import type { WorkloadDefinition, WorkloadModule } from './types.ts';

/**
 * The module list: every workload the harness can run (its import above, its name below), in the
 * order of the full matrix. The config schema and its defaults, the presets, the run loop,
 * analysis (for runs that predate recorded metric specs) and the console summary read it here.
 */
export const WORKLOADS = [
  cpuWorkload,
  memoryWorkload,
  latencyWorkload,
  httpWorkload,
  mixedWorkload,
  compileWorkload,
] as const;

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

/** Which workloads can run on a testbed kind, and why the others cannot (the plan's availability). */
export function workloadAvailability(testbedKind: string): {
  isBuilt(name: string): boolean;
  reason(name: string): string;
} {
  const why = (name: string) => WORKLOADS.find((w) => w.name === name)?.unavailableOn?.[testbedKind];
  return {
    isBuilt: (name) => why(name) === undefined,
    reason: (name) => `not on the ${testbedKind} testbed: ${why(name) ?? 'runs there'}`,
  };
}

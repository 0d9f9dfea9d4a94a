import type { Config, WorkloadName } from '../harness/config/schema.ts';
import type { WorkloadAvailability } from '../harness/plan/plan.ts';
import { cpuWorkload } from './cpu/index.ts';
import { httpWorkload } from './http/index.ts';
import { latencyWorkload } from './latency/index.ts';
import { memoryWorkload } from './memory/index.ts';
import type { WorkloadModule } from './types.ts';

/** Workloads the config may name but that are not built yet, with where they are tracked. */
const NOT_BUILT: Partial<Record<WorkloadName, string>> = {};

export function workloadModules(config: Config): Partial<Record<WorkloadName, WorkloadModule>> {
  return {
    cpu: cpuWorkload(config.workloads.cpu),
    memory: memoryWorkload(config.workloads.memory),
    latency: latencyWorkload(config.workloads.latency),
    http: httpWorkload(config.workloads.http),
  };
}

export const availability: WorkloadAvailability = {
  isBuilt: (name) => !(name in NOT_BUILT),
  reason: (name) => NOT_BUILT[name] ?? 'built',
};

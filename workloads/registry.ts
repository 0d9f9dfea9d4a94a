import type { Config, WorkloadName } from '../harness/config/schema.ts';
import type { WorkloadAvailability } from '../harness/plan/plan.ts';
import { cpuWorkload } from './cpu/index.ts';
import { httpWorkload } from './http/index.ts';
import { latencyWorkload } from './latency/index.ts';
import type { WorkloadModule } from './types.ts';

/** Workloads the config may name but that are not built yet, with where they are tracked. */
const NOT_BUILT: Partial<Record<WorkloadName, string>> = {
  memory: 'not built yet (page dirtier and memory replication: issue #4)',
};

export function workloadModules(config: Config): Partial<Record<WorkloadName, WorkloadModule>> {
  return {
    cpu: cpuWorkload(config.workloads.cpu),
    latency: latencyWorkload(config.workloads.latency),
    http: httpWorkload(config.workloads.http),
  };
}

export const availability: WorkloadAvailability = {
  isBuilt: (name) => !(name in NOT_BUILT),
  reason: (name) => NOT_BUILT[name] ?? 'built',
};

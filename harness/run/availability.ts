import { workloadAvailability } from '../../workloads/index.ts';
import type { WorkloadAvailability } from '../plan/plan.ts';
import { adaptiveUnavailableReason } from '../testbeds/index.ts';

/** What of a matrix a testbed kind can run: its workloads (module list) and the adaptive interval. */
export function cellAvailability(testbedKind: string): WorkloadAvailability {
  const adaptiveUnavailable = adaptiveUnavailableReason(testbedKind);
  return { ...workloadAvailability(testbedKind), ...(adaptiveUnavailable ? { adaptiveUnavailable } : {}) };
}

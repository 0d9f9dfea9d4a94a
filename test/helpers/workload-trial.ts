import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointInterval } from '../../harness/store/interval.ts';
import type { Testbed } from '../../harness/testbeds/testbed.ts';
import type { ProtectionReport } from '../../harness/testbeds/types.ts';
import type { Measurement, WorkloadModule } from '../../workloads/types.ts';

export interface WorkloadTrialRun {
  /** The trial's measurements and, when protected, afterProtection's, by metric name. */
  metrics: Record<string, number>;
  /** Raw, in order (the trial's, then afterProtection's). */
  measurements: Measurement[];
  report: ProtectionReport | null;
  /** The trial's artifacts folder (afterProtection writes there too). */
  artifactsDir: string;
}

/**
 * One trial as the run loop does it, on a fresh guest: prepare, protect (unless baseline), trial,
 * stop protection, afterProtection, teardown, guest stop.
 */
export async function runWorkloadTrial(
  testbed: Testbed,
  module: WorkloadModule,
  interval: CheckpointInterval | null,
  options: { label: string; warmupS: number; durationS: number },
): Promise<WorkloadTrialRun> {
  const session = await testbed.startGuest({ label: `${options.label}-${interval ?? 'base'}` });
  const workload = module.create();
  try {
    await workload.prepare(session.guest, new AbortController().signal);
    const protection = interval === null ? null : await session.protect(interval);
    const artifactsDir = mkdtempSync(join(tmpdir(), `rb-${options.label}-`));
    const result = await workload.trial({
      guest: session.guest,
      warmupS: options.warmupS,
      durationS: options.durationS,
      signal: new AbortController().signal,
      artifactsDir,
      protection,
    });
    const report = protection ? await protection.stop() : null;
    const measurements = [
      ...result.measurements,
      ...(report ? (workload.afterProtection?.(report, artifactsDir) ?? []) : []),
    ];
    const metrics = Object.fromEntries(measurements.map((m) => [m.metric, m.value]));
    return { metrics, measurements, report, artifactsDir };
  } finally {
    await workload.teardown();
    await session.stop();
  }
}

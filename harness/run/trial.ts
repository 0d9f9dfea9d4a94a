import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINTS_ARTIFACT } from '../../analysis/run-data.ts';
import type { Measurement, Workload, WorkloadModule } from '../../workloads/types.ts';
import { errorMessage, InterruptedError, TestbedUnsafeError } from '../errors.ts';
import type { CheckpointInterval } from '../store/interval.ts';
import type { Testbed } from '../testbeds/testbed.ts';
import type { GuestSession, Protection, ProtectionReport } from '../testbeds/types.ts';

export interface TrialSpec {
  trialId: string;
  intervalMs: CheckpointInterval | null;
  warmupS: number;
  durationS: number;
  artifactsDir: string;
}

export type TrialOutcome =
  | {
      status: 'done';
      startedAt: string;
      endedAt: string;
      workload: Measurement[];
      protection: ProtectionReport | null;
      cleanupWarnings: string[];
    }
  | {
      status: 'interrupted' | 'failed';
      reason: string;
      startedAt: string;
      endedAt: string;
      cleanupWarnings: string[];
      /** Set when the testbed is unsafe to go on with (TestbedUnsafeError): why the run must stop. */
      stopRun?: string;
    };

/**
 * One trial, stage by stage: start guest -> start servers -> protect -> warm-up + measure -> stop
 * protection -> stop servers -> stop guest. Cleanup of every stage that started always runs, in
 * reverse order, whatever failed or was interrupted.
 */
export async function runTrial(
  spec: TrialSpec,
  testbed: Testbed,
  module: WorkloadModule,
  signal: AbortSignal,
): Promise<TrialOutcome> {
  const startedAt = new Date().toISOString();
  const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
  let session: GuestSession | null = null;
  let workload: Workload | null = null;
  let protection: Protection | null = null;
  let report: ProtectionReport | null = null;
  let protectionStopped = false;
  const check = () => {
    if (signal.aborted) throw new InterruptedError();
  };
  let outcome: TrialOutcome;
  try {
    check();
    session = await testbed.startGuest({ label: spec.trialId, signal });
    const started = session;
    cleanups.push({ what: 'stopping the guest', run: () => started.stop() });
    check();
    workload = module.create();
    const created = workload;
    cleanups.push({ what: `stopping the ${module.name} workload`, run: () => created.teardown() });
    await workload.prepare(session.guest, signal);
    check();
    if (spec.intervalMs !== null) {
      protection = await session.protect(spec.intervalMs);
      const running = protection;
      cleanups.push({
        what: 'stopping protection',
        run: async () => (protectionStopped ? undefined : running.stop()),
      });
    }
    check();
    const result = await workload.trial({
      guest: session.guest,
      warmupS: spec.warmupS,
      durationS: spec.durationS,
      signal,
      artifactsDir: spec.artifactsDir,
      protection,
    });
    const measurements = [...result.measurements];
    if (protection) {
      protectionStopped = true;
      report = await protection.stop();
      writeFileSync(join(spec.artifactsDir, CHECKPOINTS_ARTIFACT), `${JSON.stringify(report, null, 1)}\n`);
      measurements.push(...(workload.afterProtection?.(report, spec.artifactsDir) ?? []));
    }
    outcome = {
      status: 'done',
      startedAt,
      endedAt: new Date().toISOString(),
      workload: measurements,
      protection: report,
      cleanupWarnings: [],
    };
  } catch (error) {
    const interrupted =
      (signal.aborted || error instanceof InterruptedError) && !(error instanceof TestbedUnsafeError);
    // A workload that fails under protection often fails because replication did (a killed xl
    // remus leaves the guest suspended, so its clients time out): stopping protection now tells
    // which, and the replication's fault, the cause, leads the reason.
    const fault =
      protection && !protectionStopped && !interrupted ? await replicationFault(protection) : null;
    if (fault) protectionStopped = true;
    const unsafe = error instanceof TestbedUnsafeError ? error : fault?.unsafe ? fault.error : null;
    outcome = {
      status: interrupted ? 'interrupted' : 'failed',
      reason: interrupted
        ? 'interrupted by the user'
        : fault?.error
          ? `${sentence(errorMessage(fault.error))} The ${module.name} workload failed meanwhile: ${errorMessage(error)}`
          : errorMessage(error),
      startedAt,
      endedAt: new Date().toISOString(),
      cleanupWarnings: [],
      ...(unsafe ? { stopRun: unsafe.message } : {}),
    };
  }
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup.run();
    } catch (error) {
      if (error instanceof TestbedUnsafeError) {
        // Found while cleaning up a trial that otherwise went well: it did not end as it should.
        outcome = {
          status: 'failed',
          reason: `${cleanup.what}: ${error.message}`,
          startedAt,
          endedAt: new Date().toISOString(),
          cleanupWarnings: outcome.cleanupWarnings,
          stopRun: error.message,
        };
      } else {
        outcome.cleanupWarnings.push(`${cleanup.what}: ${errorMessage(error)}`);
      }
    }
  }
  return outcome;
}

/**
 * Stops a protection whose trial failed. The error its stop raises (replication had ended by
 * itself, or could not be stopped cleanly) is returned, not thrown; null error: it stopped as
 * usual, so replication was not what failed.
 */
async function replicationFault(protection: Protection): Promise<{ error: Error | null; unsafe: boolean }> {
  try {
    await protection.stop();
    return { error: null, unsafe: false };
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    return { error: failure, unsafe: failure instanceof TestbedUnsafeError };
  }
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

import type { WorkloadModule } from '../../workloads/types.ts';
import type { Config } from '../config/schema.ts';
import type { PlannedTrial } from '../plan/plan.ts';
import type { CheckpointInterval } from '../store/interval.ts';
import { PROTECTION_METRIC } from '../store/protection-metrics.ts';
import type { MetricSpec, SampleRow } from '../store/samples.ts';
import type { TestbedFacts } from '../testbeds/testbed.ts';
import { HARNESS_VERSION } from '../version.ts';
import { protectionMeasurements } from './protection-rows.ts';
import type { TrialOutcome } from './trial.ts';

/** What the manifest records of the workloads: their metric specs, for analysis to read. */
export function metricSpecs(modules: Map<string, WorkloadModule>): Record<string, MetricSpec[]> {
  return Object.fromEntries([...modules].map(([name, module]) => [name, [...module.metrics]]));
}

/** The console line of a finished trial: its headline metrics and the effective checkpoint rate. */
export function headlineText(rows: readonly SampleRow[], module: WorkloadModule): string {
  const wanted = new Set(module.metrics.filter((m) => m.headline).map((m) => m.name));
  wanted.add(PROTECTION_METRIC.effectiveRate);
  return rows
    .filter((r) => wanted.has(r.metric))
    .map((r) => `${r.metric}=${r.value}`)
    .join('  ');
}

/** The sample rows of a finished trial: every workload measurement and protection statistic, with its context. */
export function toRows(
  outcome: Extract<TrialOutcome, { status: 'done' }>,
  planned: PlannedTrial,
  intervalMs: CheckpointInterval | null,
  module: WorkloadModule,
  config: Config,
  runId: string,
  facts: TestbedFacts,
  hostDigest: string,
): SampleRow[] {
  const specs = new Map(module.metrics.map((m) => [m.name, m]));
  const base = {
    schema: 1 as const,
    runId,
    cellId: planned.cellId,
    trialId: planned.id,
    trial: planned.trial,
    testbed: facts.name,
    workload: module.name,
    intervalMs,
    startedAt: outcome.startedAt,
    endedAt: outcome.endedAt,
    durationS: config.matrix.durationS,
    warmupS: config.matrix.warmupS,
    seed: config.matrix.seed,
    mechanisms: facts.mechanisms,
    hostDigest,
    harnessVersion: HARNESS_VERSION,
  };
  const rows: SampleRow[] = outcome.workload.map((m) => {
    const spec = specs.get(m.metric);
    return {
      ...base,
      metric: m.metric,
      value: m.value,
      unit: spec?.unit ?? '',
      better: spec?.better ?? 'info',
      source: 'workload',
    };
  });
  if (outcome.protection) {
    for (const m of protectionMeasurements(outcome.protection.summary))
      rows.push({ ...base, ...m, source: 'protection' });
  }
  return rows;
}

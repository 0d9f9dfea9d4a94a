import type { Manifest } from '../harness/store/manifest.ts';
import type { MetricSpec } from '../harness/store/samples.ts';
import { configureWorkloads, WORKLOADS } from '../workloads/index.ts';

/**
 * The metric specs of a run's workloads. A run records them in its manifest; for runs written
 * before it did, they are what each workload of the module list declares for the run's config (its
 * section over the workload's current defaults, since older configs may lack newer fields).
 */
export function runMetricSpecs(manifest: Pick<Manifest, 'metrics' | 'config'>): Record<string, MetricSpec[]> {
  if (manifest.metrics) return manifest.metrics;
  const stored = (manifest.config?.workloads ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const sections = Object.fromEntries(WORKLOADS.map((w) => [w.name, { ...w.defaults, ...stored[w.name] }]));
  return Object.fromEntries(
    [...configureWorkloads(sections)].map(([name, module]) => [name, [...module.metrics]]),
  );
}

/** The metric a workload is judged by (best interval, overhead headline), or undefined. */
export function primaryMetric(specs: readonly MetricSpec[] | undefined): string | undefined {
  return specs?.find((m) => m.primary)?.name;
}

/** The metrics the console summary shows for a workload: its primary first, then its other headlines. */
export function headlineMetrics(specs: readonly MetricSpec[] | undefined): string[] {
  const primary = primaryMetric(specs);
  const others = (specs ?? []).filter((m) => m.headline && m.name !== primary).map((m) => m.name);
  return [...(primary ? [primary] : []), ...others];
}

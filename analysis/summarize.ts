import type { SampleRow } from '../harness/store/samples.ts';
import { type ConfidenceInterval, cv, mean, median, tInterval } from './stats.ts';

/** Statistics of one metric over the trials of one cell, with its overhead against the baseline. */
export interface CellMetricSummary {
  cellId: string;
  workload: string;
  intervalMs: number | null;
  metric: string;
  unit: string;
  better: SampleRow['better'];
  source: SampleRow['source'];
  n: number;
  mean: number;
  ci: ConfidenceInterval;
  median: number;
  min: number;
  max: number;
  cv: number;
  /** Against the same workload's baseline cell; absent for the baseline and for info metrics. */
  overhead?: Overhead;
}

/**
 * Overhead in the metric's "worse" direction: for higher-is-better metrics the fraction of the
 * baseline throughput lost, (base - x) / base; for lower-is-better metrics the relative increase,
 * (x - base) / base. `absolute` is x - base in the metric's unit. Ratio of means; the bootstrap CI
 * of the ratio comes with the analysis issue (#8).
 */
export interface Overhead {
  relative: number;
  absolute: number;
  baselineMean: number;
}

export function overheadOf(
  value: number,
  baseline: number,
  better: SampleRow['better'],
): Overhead | undefined {
  if (better === 'info' || !Number.isFinite(baseline) || baseline === 0) return undefined;
  const relative = better === 'higher' ? (baseline - value) / baseline : (value - baseline) / baseline;
  return { relative, absolute: value - baseline, baselineMean: baseline };
}

const groupKey = (row: Pick<SampleRow, 'cellId' | 'metric'>) => `${row.cellId}\u0000${row.metric}`;

/** Per cell and metric: mean with 95 % t-interval, median, min, max, CV, N, overhead. Pure. */
export function summarizeRows(rows: readonly SampleRow[]): CellMetricSummary[] {
  const groups = new Map<string, SampleRow[]>();
  for (const row of rows) {
    const key = groupKey(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  const summaries: CellMetricSummary[] = [];
  for (const list of groups.values()) {
    const first = list[0] as SampleRow;
    const values = list.map((r) => r.value);
    summaries.push({
      cellId: first.cellId,
      workload: first.workload,
      intervalMs: first.intervalMs,
      metric: first.metric,
      unit: first.unit,
      better: first.better,
      source: first.source,
      n: values.length,
      mean: mean(values),
      ci: tInterval(values),
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      cv: cv(values),
    });
  }
  const baselines = new Map<string, CellMetricSummary>();
  for (const s of summaries) if (s.intervalMs === null) baselines.set(`${s.workload}\u0000${s.metric}`, s);
  for (const s of summaries) {
    if (s.intervalMs === null) continue;
    const base = baselines.get(`${s.workload}\u0000${s.metric}`);
    const overhead = base ? overheadOf(s.mean, base.mean, s.better) : undefined;
    if (overhead) s.overhead = overhead;
  }
  return summaries.sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.metric.localeCompare(b.metric) ||
      (a.intervalMs ?? -1) - (b.intervalMs ?? -1),
  );
}

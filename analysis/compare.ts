import { type CheckpointInterval, compareIntervals } from '../harness/store/interval.ts';
import { configDifferences } from '../harness/store/manifest.ts';
import type { SampleRow } from '../harness/store/samples.ts';
import { primaryMetric, runMetricSpecs } from './metric-specs.ts';
import type { RunData } from './run-data.ts';
import { mean } from './stats.ts';
import { mannWhitneyU } from './tests.ts';

/**
 * Regression detection between runs (pure over loaded run data). A change of a metric is a
 * regression only when it is statistically significant on trials (Mann-Whitney U, two-sided,
 * alpha 0.01 by default), larger than a practical threshold (5 % by default, per metric
 * configurable), and in the metric's worse direction. Against history, fewer than `minHistory`
 * comparable runs give "not enough history" instead of a guess.
 */
export interface CompareOptions {
  alpha: number;
  defaultThreshold: number;
  /** Per-metric thresholds (relative, 0.1 = 10 %). */
  thresholds: Record<string, number>;
  minHistory: number;
  /** At most this many most recent comparable runs form the history. */
  maxHistory: number;
}

export const DEFAULT_COMPARE: CompareOptions = {
  alpha: 0.01,
  defaultThreshold: 0.05,
  thresholds: {},
  minHistory: 3,
  maxHistory: 10,
};

export type Verdict = 'regression' | 'improvement' | 'no significant change' | 'not enough history';

export interface ComparisonRow {
  testbed: string;
  workload: string;
  intervalMs: CheckpointInterval | null;
  metric: string;
  unit: string;
  better: SampleRow['better'];
  oldRuns: number;
  oldN: number;
  newN: number;
  oldMean: number;
  newMean: number;
  /** (new - old) / old. */
  change: number;
  threshold: number;
  p: number;
  verdict: Verdict;
}

/** One cell's primary metric over the compared runs and this one, oldest first (the nightly trend). */
export interface TrendSeries {
  workload: string;
  intervalMs: CheckpointInterval | null;
  metric: string;
  better: SampleRow['better'];
  /** Mean over each run's trials; the last point is the new run's. */
  points: { runId: string; createdAt: string; mean: number }[];
  verdict: Verdict;
}

export interface Comparison {
  mode: 'pair' | 'history';
  newRunId: string;
  comparedRunIds: string[];
  /** Runs left out because a setting that changes the numbers differs, with the fields. */
  incomparable: { runId: string; differs: string[] }[];
  /** Differences that do not block a comparison but may explain a change (host, tools, mechanisms). */
  notes: string[];
  rows: ComparisonRow[];
  /** Each primary metric with history, per cell, run by run. */
  trend: TrendSeries[];
  regressions: number;
  options: CompareOptions;
}

/** The settings that must match for two runs to be comparable. */
function numberSettings(run: RunData): Record<string, unknown> {
  const c = run.manifest.config;
  const mechanisms = run.manifest.sessions.at(-1)?.testbed.mechanisms ?? {};
  return {
    testbed: run.manifest.sessions.at(-1)?.testbed.name ?? c.testbed.kind,
    // Held output (safe Remus) and unbuffered output are different experiments, not noise.
    outputCommit: mechanisms.networkBuffering ?? mechanisms.outputCommit,
    workloads: c.workloads,
    durationS: c.matrix.durationS,
    warmupS: c.matrix.warmupS,
  };
}

/** Settings that may change numbers without making runs incomparable: reported next to the verdict. */
function contextSettings(run: RunData): Record<string, unknown> {
  const s = run.manifest.sessions.at(-1);
  return {
    kernel: s?.host.kernel,
    os: s?.host.os,
    cpu: s?.host.cpuModel,
    cores: s?.host.cores,
    tools: s?.host.tools,
    harness: s?.host.harnessVersion,
    mechanisms: s?.testbed.mechanisms,
  };
}

const key = (r: Pick<SampleRow, 'testbed' | 'workload' | 'intervalMs' | 'metric'>) =>
  `${r.testbed}\u0000${r.workload}\u0000${r.intervalMs ?? 'baseline'}\u0000${r.metric}`;

export function compareRuns(
  newRun: RunData,
  oldRuns: readonly RunData[],
  mode: 'pair' | 'history',
  options: CompareOptions = DEFAULT_COMPARE,
): Comparison {
  const incomparable: Comparison['incomparable'] = [];
  const comparable: RunData[] = [];
  for (const old of [...oldRuns].sort((a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt))) {
    const differs = configDifferences(numberSettings(old), numberSettings(newRun));
    if (differs.length) incomparable.push({ runId: old.manifest.runId, differs });
    else comparable.push(old);
  }
  const history = comparable.slice(-options.maxHistory);
  const notes = new Set<string>();
  for (const old of history) {
    for (const path of configDifferences(contextSettings(old), contextSettings(newRun))) {
      notes.add(`${path} differs from run ${old.manifest.runId}`);
    }
  }

  const oldByKey = new Map<string, { values: number[]; runs: Set<string> }>();
  for (const old of history) {
    for (const row of old.rows) {
      const entry = oldByKey.get(key(row)) ?? { values: [], runs: new Set<string>() };
      entry.values.push(row.value);
      entry.runs.add(old.manifest.runId);
      oldByKey.set(key(row), entry);
    }
  }
  const newByKey = new Map<string, SampleRow[]>();
  for (const row of newRun.rows) {
    if (row.source !== 'workload' || row.better === 'info') continue;
    const list = newByKey.get(key(row)) ?? [];
    list.push(row);
    newByKey.set(key(row), list);
  }

  const rows: ComparisonRow[] = [];
  for (const [k, list] of newByKey) {
    const first = list[0] as SampleRow;
    const values = list.map((r) => r.value);
    const old = oldByKey.get(k);
    const threshold = options.thresholds[first.metric] ?? options.defaultThreshold;
    const oldMean = old ? mean(old.values) : Number.NaN;
    const newMean = mean(values);
    const change = (newMean - oldMean) / oldMean;
    const oldRunCount = old?.runs.size ?? 0;
    const base = {
      testbed: first.testbed,
      workload: first.workload,
      intervalMs: first.intervalMs,
      metric: first.metric,
      unit: first.unit,
      better: first.better,
      oldRuns: oldRunCount,
      oldN: old?.values.length ?? 0,
      newN: values.length,
      oldMean,
      newMean,
      change,
      threshold,
    };
    const enough =
      mode === 'pair'
        ? oldRunCount >= 1 && (old?.values.length ?? 0) >= 2
        : oldRunCount >= options.minHistory;
    if (!enough || values.length < 2) {
      rows.push({ ...base, p: Number.NaN, verdict: 'not enough history' });
      continue;
    }
    const p = mannWhitneyU(values, old?.values ?? []).p;
    const worse = first.better === 'higher' ? change < 0 : change > 0;
    const verdict: Verdict =
      p < options.alpha && Math.abs(change) >= threshold
        ? worse
          ? 'regression'
          : 'improvement'
        : 'no significant change';
    rows.push({ ...base, p, verdict });
  }
  rows.sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.metric.localeCompare(b.metric) ||
      compareIntervals(a.intervalMs, b.intervalMs),
  );
  return {
    mode,
    newRunId: newRun.manifest.runId,
    comparedRunIds: history.map((r) => r.manifest.runId),
    incomparable,
    notes: [...notes],
    rows,
    trend: trendSeries(newRun, history, rows),
    regressions: rows.filter((r) => r.verdict === 'regression').length,
    options,
  };
}

/** Per run, the mean of each key's values. */
function runMeans(run: RunData): Map<string, number> {
  const values = new Map<string, number[]>();
  for (const row of run.rows) {
    const list = values.get(key(row)) ?? [];
    list.push(row.value);
    values.set(key(row), list);
  }
  return new Map([...values].map(([k, list]) => [k, mean(list)]));
}

function trendSeries(
  newRun: RunData,
  history: readonly RunData[],
  rows: readonly ComparisonRow[],
): TrendSeries[] {
  const specs = runMetricSpecs(newRun.manifest);
  const primary = new Set(
    Object.entries(specs).map(([workload, list]) => `${workload}\u0000${primaryMetric(list)}`),
  );
  const runs = [...history, newRun].map((run) => ({ run, means: runMeans(run) }));
  return rows
    .filter((r) => r.oldRuns > 0 && primary.has(`${r.workload}\u0000${r.metric}`))
    .map((r) => ({
      workload: r.workload,
      intervalMs: r.intervalMs,
      metric: r.metric,
      better: r.better,
      points: runs.flatMap(({ run, means }) => {
        const value = means.get(key(r));
        return value === undefined
          ? []
          : [{ runId: run.manifest.runId, createdAt: run.manifest.createdAt, mean: value }];
      }),
      verdict: r.verdict,
    }));
}

/**
 * The rows worth a reader's line: in a pair, every row; against history, the metrics some earlier
 * comparable run also measured (the others say only "no history"), with how many were left out.
 */
export function rowsWithHistory(c: Comparison): { rows: ComparisonRow[]; leftOut: number } {
  if (c.mode === 'pair') return { rows: c.rows, leftOut: 0 };
  const rows = c.rows.filter((r) => r.oldRuns > 0);
  return { rows, leftOut: c.rows.length - rows.length };
}

/** Said instead of a table when no earlier comparable run measured anything of this one. */
export const NOTHING_TO_COMPARE = 'nothing to compare: no earlier comparable run in the results folder';

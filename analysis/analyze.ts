import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { ADAPTIVE, type CheckpointInterval, compareIntervals, fixedMs } from '../harness/store/interval.ts';
import { PROTECTION_METRIC } from '../harness/store/protection-metrics.ts';
import type { MetricSpec, SampleRow } from '../harness/store/samples.ts';
import {
  type BootstrapInterval,
  type BootstrapOptions,
  bootstrapMean,
  bootstrapRatioOfMeans,
} from './bootstrap.ts';
import { findings } from './findings.ts';
import { formatNumber } from './format-number.ts';
import { latencyModel } from './latency-model.ts';
import { primaryMetric, runMetricSpecs } from './metric-specs.ts';
import { flagOutliers } from './outliers.ts';
import { pairBreakdown } from './pairs.ts';
import { pauseCost } from './pause-cost.ts';
import type { RunData } from './run-data.ts';
import { cv, mean, median, studentTQuantile, tInterval } from './stats.ts';
import { testbedSemantics } from './testbed-semantics.ts';
import type {
  AdaptiveVerdict,
  BestInterval,
  CheckpointCell,
  LatencyCell,
  MetricCell,
  MetricOverhead,
  MissingCell,
  PairCell,
  RunAnalysis,
} from './types.ts';

// The shapes of an analysis, for the reports that import them from here.
export type * from './types.ts';

const PERCENTILES = [50, 90, 99, 99.9];

/**
 * Minimum detectable relative effect of a two-sample comparison of means at 5 % two-sided level and
 * 80 % power: (t_0.975 + t_0.8) * sqrt(cv_a^2 / n_a + cv_b^2 / n_b), with df = n_a + n_b - 2.
 */
export function minimumDetectableEffect(cvA: number, nA: number, cvB: number, nB: number): number {
  const df = nA + nB - 2;
  if (df < 1 || !Number.isFinite(cvA) || !Number.isFinite(cvB)) return Number.NaN;
  return (studentTQuantile(0.975, df) + studentTQuantile(0.8, df)) * Math.sqrt(cvA ** 2 / nA + cvB ** 2 / nB);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function metricCells(rows: readonly SampleRow[], bootstrap: BootstrapOptions): MetricCell[] {
  const cells: MetricCell[] = [];
  for (const list of groupBy(rows, (r) => `${r.cellId}\u0000${r.metric}`).values()) {
    const first = list[0] as SampleRow;
    const values = list.map((r) => r.value);
    const trialIds = list.map((r) => r.trialId);
    const flags = flagOutliers(values);
    cells.push({
      cellId: first.cellId,
      workload: first.workload,
      intervalMs: first.intervalMs,
      metric: first.metric,
      unit: first.unit,
      better: first.better,
      source: first.source,
      trialIds,
      values,
      n: values.length,
      mean: mean(values),
      ci: tInterval(values),
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      cv: cv(values),
      outliers: {
        tukey: flags.tukey.map((i) => trialIds[i] as string),
        mad: flags.mad.map((i) => trialIds[i] as string),
      },
    });
  }
  const baselines = new Map(
    cells.filter((c) => c.intervalMs === null).map((c) => [`${c.workload}\u0000${c.metric}`, c]),
  );
  for (const cell of cells) {
    const base = baselines.get(`${cell.workload}\u0000${cell.metric}`);
    if (cell.intervalMs === null || !base || cell.better === 'info' || cell.source !== 'workload') continue;
    // A ratio to a zero mean (e.g. no loss at all in the baseline) is undefined: report none.
    if (base.mean === 0 || cell.mean === 0) continue;
    const ratio =
      cell.better === 'lower'
        ? bootstrapRatioOfMeans(cell.values, base.values, bootstrap)
        : bootstrapRatioOfMeans(base.values, cell.values, bootstrap);
    cell.overhead = {
      ratio,
      relative: ratio.estimate - 1,
      absolute: cell.mean - base.mean,
      baselineMean: base.mean,
      minimumDetectable: minimumDetectableEffect(cell.cv, cell.n, base.cv, base.n),
    };
  }
  return cells.sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.metric.localeCompare(b.metric) ||
      compareIntervals(a.intervalMs, b.intervalMs),
  );
}

function latencyCells(data: RunData, rows: readonly SampleRow[], bootstrap: BootstrapOptions): LatencyCell[] {
  const trialsByCell = groupBy(
    [...new Map(rows.filter((r) => data.histograms.has(r.trialId)).map((r) => [r.trialId, r])).values()],
    (r) => r.cellId,
  );
  const cells: LatencyCell[] = [];
  for (const [cellId, trials] of trialsByCell) {
    // One decoded histogram at a time (each holds tens of kB of counts; a cell may have hundreds of
    // trials): its percentiles are read, it is added to the merged one, and dropped.
    const perTrial = PERCENTILES.map(() => [] as number[]);
    let merged: Histogram | null = null;
    for (const t of trials) {
      const h = decodeFromCompressedBase64(data.histograms.get(t.trialId) as string);
      PERCENTILES.forEach((p, i) => {
        perTrial[i]?.push(h.getValueAtPercentile(p));
      });
      if (merged) merged.add(h);
      else merged = h;
    }
    const percentiles = PERCENTILES.map((p, i) => {
      const ci = bootstrapMean(perTrial[i] as number[], bootstrap);
      return { percentile: p, mean: ci.estimate, low: ci.low, high: ci.high };
    });
    if (!merged) continue;
    const cdf: [number, number][] = [];
    for (const p of [0.1, 0.5, ...Array.from({ length: 99 }, (_, i) => i + 1), 99.5, 99.9, 99.99, 100]) {
      cdf.push([merged.getValueAtPercentile(p), p / 100]);
    }
    cells.push({
      cellId,
      workload: (trials[0] as SampleRow).workload,
      intervalMs: (trials[0] as SampleRow).intervalMs,
      trials: trials.length,
      percentiles,
      cdf,
    });
  }
  return cells.sort((a, b) => compareIntervals(a.intervalMs, b.intervalMs));
}

function bestIntervals(
  metrics: readonly MetricCell[],
  specs: Readonly<Record<string, MetricSpec[]>>,
): BestInterval[] {
  const out: BestInterval[] = [];
  for (const [workload, workloadSpecs] of Object.entries(specs)) {
    const metric = primaryMetric(workloadSpecs);
    if (!metric) continue;
    const judged = metrics.filter((m) => m.workload === workload && m.metric === metric && m.overhead);
    const ranking = judged
      .flatMap((m) => {
        const ms = fixedMs(m.intervalMs);
        return ms === null ? [] : [{ intervalMs: ms, ratio: (m.overhead as MetricOverhead).ratio }];
      })
      .sort((a, b) => a.ratio.estimate - b.ratio.estimate);
    const adaptiveCell = judged.find((m) => m.intervalMs === ADAPTIVE);
    if (!metrics.some((m) => m.workload === workload)) continue;
    const best = ranking[0];
    const ties = best
      ? ranking
          .filter((r) => r === best || (Number.isFinite(best.ratio.high) && r.ratio.low <= best.ratio.high))
          .map((r) => r.intervalMs)
      : [];
    const adaptive =
      adaptiveCell && best
        ? {
            ratio: (adaptiveCell.overhead as MetricOverhead).ratio,
            versusBest: versus(adaptiveCell, best.ratio),
          }
        : undefined;
    out.push({
      workload,
      metric,
      bestMs: best?.intervalMs ?? null,
      tiesMs: ties,
      ranking,
      ...(adaptive ? { adaptive } : {}),
    });
  }
  return out;
}

/** The adaptive cell's ratio against the best fixed one's: apart when their CIs do not overlap. */
function versus(cell: MetricCell, best: BootstrapInterval): AdaptiveVerdict {
  const ratio = (cell.overhead as MetricOverhead).ratio;
  if (![ratio.low, ratio.high, best.low, best.high].every(Number.isFinite)) return 'untested';
  if (ratio.high < best.low) return 'better';
  if (ratio.low > best.high) return 'worse';
  return 'tied';
}

function checkpointCells(metrics: readonly MetricCell[]): CheckpointCell[] {
  const protection = groupBy(
    metrics.filter((m) => m.source === 'protection' && m.intervalMs !== null),
    (m) => m.cellId,
  );
  const cells: CheckpointCell[] = [];
  for (const [cellId, list] of protection) {
    const get = (metric: string) => list.find((m) => m.metric === metric)?.mean ?? Number.NaN;
    const intervalMs = (list[0] as MetricCell).intervalMs as CheckpointInterval;
    const ms = fixedMs(intervalMs);
    const configuredHz = ms === null ? get(PROTECTION_METRIC.configuredRate) : 1000 / ms;
    const effectiveHz = get(PROTECTION_METRIC.effectiveRate);
    cells.push({
      cellId,
      workload: (list[0] as MetricCell).workload,
      intervalMs,
      configuredHz,
      effectiveHz,
      pauseP50Us: get(PROTECTION_METRIC.pauseP50),
      pauseP99Us: get(PROTECTION_METRIC.pauseP99),
      missedEpochs: get(PROTECTION_METRIC.missedEpochs),
      dirtyPagesP50: get(PROTECTION_METRIC.dirtyPagesP50),
      scanP50Us: get(PROTECTION_METRIC.scanP50),
      gatherP50Us: get(PROTECTION_METRIC.gatherP50),
      shipAckP50Us: get(PROTECTION_METRIC.shipAckP50),
      // The adaptive schedule has no rate to keep up with: its epochs are as long as it chose.
      belowConfigured: ms !== null && effectiveHz < 0.95 * configuredHz,
    });
  }
  return cells.sort(
    (a, b) => a.workload.localeCompare(b.workload) || compareIntervals(a.intervalMs, b.intervalMs),
  );
}

function missingCells(data: RunData): MissingCell[] {
  const out: MissingCell[] = [];
  for (const [cellId, cell] of Object.entries(data.state?.cells ?? {})) {
    const trials = Object.values(cell.trials);
    const done = trials.filter((t) => t.status === 'done').length;
    if (done === trials.length && trials.length > 0) continue;
    out.push({
      cellId,
      status: cell.status,
      ...(cell.reason ? { reason: cell.reason } : {}),
      doneTrials: done,
      plannedTrials: trials.length,
    });
  }
  return out;
}

function runWarnings(
  data: RunData,
  metrics: readonly MetricCell[],
  missing: readonly MissingCell[],
  pairs: readonly PairCell[],
): string[] {
  const warnings = [...data.warnings];
  const sessions = data.manifest.sessions ?? [];
  for (const s of sessions) {
    for (const f of s.testbed.fallbacks) warnings.push(`Fallback mechanism: ${f}`);
    if (s.host.loadAverage1m > s.host.cores * 0.5) {
      warnings.push(
        `Noisy host: load average ${s.host.loadAverage1m} on ${s.host.cores} cores when the session of ${s.startedAt} started.`,
      );
    }
  }
  const shards = data.manifest.shards ?? [];
  const pairCount = new Set(shards.map((s) => s.placement.id)).size;
  if (pairCount > 1) {
    warnings.push(
      `The run merges ${shards.length} shards run on ${pairCount} host pairs: trials from different machines are mixed in every cell (see "By host pair").`,
    );
    for (const cell of pairs.filter((c) => c.differ)) {
      const { a, b, p } = cell.strongest as NonNullable<PairCell['strongest']>;
      const meanOf = (label: string) =>
        formatNumber(cell.pairs.find((x) => x.label === label)?.mean ?? Number.NaN);
      warnings.push(
        `Cell ${cell.cellId} ${cell.metric}: the host pairs differ (Welch, Bonferroni-adjusted p = ${formatNumber(p)}): ${a} ${meanOf(a)} vs ${b} ${meanOf(b)} ${cell.unit}. Its mean and overhead mix machines that measure differently.`,
      );
    }
  } else if (new Set(sessions.map((s) => s.hostDigest)).size > 1) {
    warnings.push(
      shards.length > 1
        ? 'The shards ran on different harness hosts (host digest differs): trials from different machines are mixed.'
        : 'The run was resumed on a different host (host digest changed): trials from different machines are mixed.',
    );
  }
  for (const m of missing) {
    warnings.push(
      `Cell ${m.cellId}: ${m.doneTrials} of ${m.plannedTrials} trials done (${m.status}${m.reason ? `: ${m.reason}` : ''}).`,
    );
  }
  for (const m of metrics) {
    const flagged = [...new Set([...m.outliers.tukey, ...m.outliers.mad])];
    if (flagged.length && m.source === 'workload' && m.better !== 'info') {
      warnings.push(
        `Possible outliers in ${m.cellId} ${m.metric}: ${flagged.join(', ')} (kept in every statistic).`,
      );
    }
  }
  return warnings;
}

/** The whole analysis of a run: pure over what loadRun read. */
export function analyzeRun(data: RunData, bootstrapOverride?: Partial<BootstrapOptions>): RunAnalysis {
  const bootstrap: BootstrapOptions = {
    resamples: 2000,
    level: 0.95,
    seed: data.manifest.seed ?? 1,
    ...bootstrapOverride,
  };
  const metrics = metricCells(data.rows, bootstrap);
  const latency = latencyCells(data, data.rows, bootstrap);
  const metricSpecs = runMetricSpecs(data.manifest);
  const best = bestIntervals(metrics, metricSpecs);
  const checkpoints = checkpointCells(metrics);
  const missing = missingCells(data);
  const pairs = pairBreakdown(data, bootstrap.level);
  const sessions = data.manifest.sessions ?? [];
  const session = sessions.at(-1) ?? null;
  const trials = Object.values(data.state?.cells ?? {}).flatMap((c) => Object.values(c.trials));
  const analysis: RunAnalysis = {
    runId: data.manifest.runId,
    dir: data.dir,
    createdAt: data.manifest.createdAt,
    testbed: session?.testbed.name ?? data.manifest.config.testbed.kind,
    session,
    sessions,
    config: data.manifest.config,
    bootstrap,
    metricSpecs,
    metrics,
    latency,
    // The echo workload's RTTs: the model has no term for the work a mixed request does.
    latencyModel: latencyModel(
      latency.filter((c) => c.workload === 'latency'),
      checkpoints,
      testbedSemantics(session?.testbed),
    ),
    best,
    checkpoints,
    pauseCost: pauseCost(data),
    findings: [],
    missing,
    warnings: runWarnings(data, metrics, missing, pairs),
    pairs,
    shards: data.manifest.shards ?? [],
    trialsDone: trials.filter((t) => t.status === 'done').length,
    trialsPlanned: trials.filter((t) => t.status !== 'skipped').length,
  };
  analysis.findings = findings(analysis);
  return analysis;
}

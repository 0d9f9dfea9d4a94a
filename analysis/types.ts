import type { CheckpointInterval } from '../harness/store/interval.ts';
/**
 * What an analysis of one run holds: the shapes that analysis builds, findings read and reports
 * draw. Types only, so that the modules that fill them need not import each other.
 */
import type { RunSession, ShardRecord } from '../harness/store/manifest.ts';
import type { MetricSpec, SampleRow } from '../harness/store/samples.ts';
import type { BootstrapInterval, BootstrapOptions } from './bootstrap.ts';
import type { Comparison } from './compare.ts';
import type { RunData } from './run-data.ts';
import type { ConfidenceInterval, LinearFit } from './stats.ts';

/**
 * Overhead as a "times worse" ratio against the baseline: x / base for lower-is-better metrics
 * (latency), base / x for higher-is-better ones (throughput). 1 = no overhead, 2 = twice as bad.
 */
export interface MetricOverhead {
  ratio: BootstrapInterval;
  /** ratio - 1, e.g. 0.012 = 1.2 % worse. */
  relative: number;
  /** x - base in the metric's unit. */
  absolute: number;
  baselineMean: number;
  /** Smallest relative difference N trials can detect (80 % power, 5 % level); see mde(). */
  minimumDetectable: number;
}

export interface MetricCell {
  cellId: string;
  workload: string;
  intervalMs: CheckpointInterval | null;
  metric: string;
  unit: string;
  better: SampleRow['better'];
  source: SampleRow['source'];
  trialIds: string[];
  values: number[];
  n: number;
  mean: number;
  ci: ConfidenceInterval;
  median: number;
  min: number;
  max: number;
  cv: number;
  overhead?: MetricOverhead;
  /** Trial ids flagged by each outlier rule (reported, not dropped). */
  outliers: { tukey: string[]; mad: string[] };
}

export interface LatencyCell {
  cellId: string;
  /** latency, or another workload that stores an RTT histogram (mixed). */
  workload: string;
  intervalMs: CheckpointInterval | null;
  trials: number;
  /** Per-trial percentiles from the stored histograms, averaged over trials with a bootstrap CI. */
  percentiles: { percentile: number; mean: number; low: number; high: number }[];
  /** CDF of all trials' RTTs merged: [µs, fraction]. */
  cdf: [number, number][];
}

/** The latency workload's RTT quantiles per fixed interval: measured, and predicted by the mechanism (latency-model.ts). */
export interface LatencyModelPoint {
  intervalMs: number;
  measured: { p50: number; p99: number; p50Low: number; p50High: number; p99Low: number; p99High: number };
  predicted: { p50: number; p99: number };
}

export interface LatencyModel {
  outputHeld: boolean;
  /** False where the testbed does not measure the pause (xl remus does not print it). */
  pauseMeasured: boolean;
  /** RTTs in µs. */
  baseline: { p50: number; p99: number };
  points: LatencyModelPoint[];
}

/** Checkpoints of one interval: [dirty pages, pause µs] pairs, sampled for drawing (pause-cost.ts). */
export interface PauseCostCell {
  intervalMs: CheckpointInterval;
  points: [number, number][];
  /** How many stored checkpoints the pairs were sampled from. */
  checkpoints: number;
}

export interface PauseCost {
  cells: PauseCostCell[];
  /** pause µs = intercept + slope x dirty pages, over every stored checkpoint. */
  fit: LinearFit | null;
}

/** Where the adaptive cell lands against the best fixed interval. */
export type AdaptiveVerdict = 'better' | 'tied' | 'worse' | 'untested';

export interface BestInterval {
  workload: string;
  metric: string;
  /** Fixed interval with the lowest overhead ratio; null when no protected cell has data. */
  bestMs: number | null;
  /** Fixed intervals whose ratio CI overlaps the best one's, best included. */
  tiesMs: number[];
  /** The fixed intervals, lowest ratio first. */
  ranking: { intervalMs: number; ratio: BootstrapInterval }[];
  /**
   * The adaptive cell against the best fixed interval, when the run has one: better or worse when
   * their ratio CIs do not overlap, tied when they do, untested without CIs (fewer than 2 trials).
   */
  adaptive?: { ratio: BootstrapInterval; versusBest: AdaptiveVerdict };
}

export interface CheckpointCell {
  cellId: string;
  workload: string;
  intervalMs: CheckpointInterval;
  /** 1000 / interval; for the adaptive cell, the rate of the median epoch it chose. */
  configuredHz: number;
  effectiveHz: number;
  pauseP50Us: number;
  pauseP99Us: number;
  missedEpochs: number;
  /** Memory replication per checkpoint (NaN without it): p50 over the checkpoints after the first. */
  dirtyPagesP50: number;
  scanP50Us: number;
  gatherP50Us: number;
  shipAckP50Us: number;
  /** Effective rate below 95 % of configured: the checkpoint could not keep up. */
  belowConfigured: boolean;
}

export interface MissingCell {
  cellId: string;
  status: string;
  reason?: string;
  doneTrials: number;
  plannedTrials: number;
}

/** A cell's primary metric per host pair, in a run merged from shards run on several pairs. */
export interface PairCell {
  cellId: string;
  workload: string;
  intervalMs: CheckpointInterval | null;
  metric: string;
  unit: string;
  /** Per pair (the line naming its hosts): trials, mean and its t-interval. */
  pairs: { label: string; n: number; mean: number; low: number; high: number }[];
  /** The two pairs that differ most: Welch's t, Bonferroni-adjusted over the cell's comparisons. */
  strongest?: { a: string; b: string; p: number };
  /** The pairs differ significantly (adjusted p below 0.05): the cell's numbers mix machines. */
  differ: boolean;
}

export interface RunAnalysis {
  /** Regression verdicts against earlier runs, when a history was given. */
  comparison?: Comparison;
  runId: string;
  dir: string;
  createdAt: string;
  testbed: string;
  session: RunSession | null;
  sessions: RunSession[];
  config: RunData['manifest']['config'];
  bootstrap: BootstrapOptions;
  /** Each workload's metric specs (units, directions, the primary and headline metrics). */
  metricSpecs: Record<string, MetricSpec[]>;
  metrics: MetricCell[];
  latency: LatencyCell[];
  /** The latency workload's RTT against what the protection mechanism predicts for it. */
  latencyModel: LatencyModel | null;
  best: BestInterval[];
  checkpoints: CheckpointCell[];
  /** Pause against dirty pages of every stored checkpoint; null without per-checkpoint dirty pages. */
  pauseCost: PauseCost | null;
  findings: Finding[];
  missing: MissingCell[];
  warnings: string[];
  /** Cells broken down by host pair; empty unless the run merges shards from two or more pairs. */
  pairs: PairCell[];
  /** The shards a merged run was joined from (where each ran, what it finished); empty otherwise. */
  shards: ShardRecord[];
  trialsDone: number;
  trialsPlanned: number;
}

/** One of the study's claims, checked on this run's data, with its evidence and caveats. */
export interface Finding {
  id: 'best-interval-depends-on-workload' | 'latency-overhead' | 'checkpoint-rate';
  title: string;
  /** One sentence: what the data says. */
  verdict: string;
  evidence: string[];
  caveats: string[];
}

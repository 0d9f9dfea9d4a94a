import type { MetricCell, RunAnalysis } from '../analysis/analyze.ts';
import {
  type Comparison,
  type ComparisonRow,
  NOTHING_TO_COMPARE,
  rowsWithHistory,
} from '../analysis/compare.ts';
import { headlineMetrics } from '../analysis/metric-specs.ts';
import { compareIntervals } from '../harness/store/interval.ts';
import { formatNumber, formatRatio, intervalLabel, latencyCellLabel } from './format.ts';

/** A table as plain strings, shared by the HTML, PDF and console reporters. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  note?: string;
}

function ratioCell(m: MetricCell): string {
  if (m.intervalMs === null) return 'baseline';
  if (!m.overhead) return '';
  const r = m.overhead.ratio;
  const ci = Number.isFinite(r.low) ? ` [${formatRatio(r.low)}, ${formatRatio(r.high)}]` : '';
  return `x${formatRatio(r.estimate)}${ci}`;
}

function differenceCell(m: MetricCell): string {
  if (!m.overhead) return '';
  const { absolute, baselineMean, minimumDetectable } = m.overhead;
  // The change of the metric itself against the baseline mean (throughput: negative is worse).
  const change = absolute / baselineMean;
  const pct = `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`;
  // Below the minimum detectable effect, the difference may be noise: say so next to it.
  return Number.isFinite(minimumDetectable) && Math.abs(change) < minimumDetectable
    ? `${pct} (below MDE ${(minimumDetectable * 100).toFixed(1)} %)`
    : pct;
}

/** Which of a workload's metrics a table holds: its primary and headline ones, or every other. */
export type MetricSelection = 'headline' | 'rest';

/**
 * One table per workload: its metrics per interval with their statistics and overhead. `headline`:
 * the primary and headline metrics (what the reader comes for); `rest`: every other stored workload
 * metric (collapsed in the HTML report, left to cells.csv in the PDF). A workload without a spec
 * (an old run) has every metric in its headline table.
 */
export function metricTables(a: RunAnalysis, selection: MetricSelection = 'headline'): Table[] {
  const workloads = [...new Set(a.metrics.map((m) => m.workload))];
  const tables: Table[] = [];
  for (const workload of workloads) {
    const headline = new Set(headlineMetrics(a.metricSpecs[workload]));
    const wanted = (metric: string) =>
      headline.size === 0 ? selection === 'headline' : headline.has(metric) === (selection === 'headline');
    const cells = a.metrics
      .filter((m) => m.workload === workload && m.source === 'workload' && wanted(m.metric))
      .sort(
        (x, y) =>
          (selection === 'headline' ? order(headline, x.metric) - order(headline, y.metric) : 0) ||
          x.metric.localeCompare(y.metric) ||
          compareIntervals(x.intervalMs, y.intervalMs),
      );
    if (cells.length === 0) continue;
    tables.push({
      title:
        selection === 'headline'
          ? `${workload}: headline metrics per cell`
          : `${workload}: every other stored metric (${new Set(cells.map((m) => m.metric)).size})`,
      header: [
        'metric',
        'interval',
        'N',
        'mean',
        '95% CI (t)',
        'median',
        'CV',
        'x baseline [95% bootstrap CI]',
        'difference',
      ],
      rows: cells.map((m) => [
        `${m.metric} (${m.unit})`,
        intervalLabel(m.intervalMs),
        String(m.n),
        formatNumber(m.mean),
        Number.isFinite(m.ci.low) ? `[${formatNumber(m.ci.low)}, ${formatNumber(m.ci.high)}]` : 'N < 2',
        formatNumber(m.median),
        Number.isFinite(m.cv) ? `${(m.cv * 100).toFixed(1)} %` : '-',
        ratioCell(m),
        differenceCell(m),
      ]),
      note: 'x baseline: higher is worse for every metric (throughput: baseline / value; latency: value / baseline). MDE: minimum detectable effect at 80 % power with this N.',
    });
  }
  return tables;
}

/** A headline metric's place (the primary first); metrics outside the set after them. */
function order(headline: ReadonlySet<string>, metric: string): number {
  const index = [...headline].indexOf(metric);
  return index === -1 ? headline.size : index;
}

export function checkpointTable(a: RunAnalysis): Table {
  return {
    title: 'Checkpoints',
    header: [
      'cell',
      'configured /s',
      'effective /s',
      'pause p50 (µs)',
      'pause p99 (µs)',
      'missed epochs',
      'dirty pages p50',
      'scan p50 (µs)',
      'gather p50 (µs)',
      'ship+ack p50 (µs)',
      'kept up',
    ],
    rows: a.checkpoints.map((c) => [
      c.cellId,
      formatNumber(c.configuredHz),
      formatNumber(c.effectiveHz),
      formatNumber(c.pauseP50Us),
      formatNumber(c.pauseP99Us),
      formatNumber(c.missedEpochs),
      formatNumber(c.dirtyPagesP50),
      formatNumber(c.scanP50Us),
      formatNumber(c.gatherP50Us),
      formatNumber(c.shipAckP50Us),
      c.belowConfigured ? 'NO' : 'yes',
    ]),
  };
}

export function latencyTable(a: RunAnalysis): Table {
  return {
    title: 'Latency percentiles (µs), mean over trials [95 % bootstrap CI]',
    header: ['cell', 'trials', ...(a.latency[0]?.percentiles.map((p) => `p${p.percentile}`) ?? [])],
    rows: a.latency.map((cell) => [
      latencyCellLabel(a, cell),
      String(cell.trials),
      ...cell.percentiles.map(
        (p) =>
          `${formatNumber(p.mean)}${Number.isFinite(p.low) ? ` [${formatNumber(p.low)}, ${formatNumber(p.high)}]` : ''}`,
      ),
    ]),
  };
}

/** Run metadata as label/value pairs: config, host, mechanisms. */
export function metadataPairs(a: RunAnalysis): [string, string][] {
  const s = a.session;
  const pairs: [string, string][] = [
    ['run', a.runId],
    ['started', a.createdAt],
    ['trials', `${a.trialsDone} done of ${a.trialsPlanned} planned`],
    ['testbed', a.testbed],
    [
      'matrix',
      `intervals ${a.config.matrix.intervals.join(', ')} ms${a.config.matrix.baseline ? ' + baseline' : ''}; workloads ${a.config.matrix.workloads.join(', ')}; ${a.config.matrix.trials} trials of ${a.config.matrix.warmupS} s warm-up + ${a.config.matrix.durationS} s`,
    ],
    [
      'seed',
      `order ${a.config.matrix.seed}; bootstrap ${a.bootstrap.seed} (${a.bootstrap.resamples} resamples)`,
    ],
  ];
  if (s) {
    pairs.push(
      [
        'host',
        `${s.host.hostname}: ${s.host.os}, kernel ${s.host.kernel}, ${s.host.cores} x ${s.host.cpuModel}, ${(s.host.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
      ],
      ['load at start', `${s.host.loadAverage1m} (1-minute load average)`],
      [
        'harness',
        `remus-bench ${s.host.harnessVersion}${s.host.harnessCommit ? ` (${s.host.harnessCommit.slice(0, 12)})` : ''}, Node ${s.host.node}`,
      ],
      [
        'tools',
        // An empty value would leave the PDF's label with nothing to end its line.
        Object.entries(s.host.tools)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ') || 'none recorded',
      ],
    );
    for (const [job, mechanism] of Object.entries(s.testbed.mechanisms)) {
      const detail = s.testbed.details?.[job];
      pairs.push([`mechanism: ${job}`, detail ? `${mechanism} (${detail})` : mechanism]);
    }
    for (const caveat of s.testbed.caveats) pairs.push(['caveat', caveat]);
  }
  for (const shard of a.shards) {
    pairs.push([
      `shard ${shard.index}/${shard.count}`,
      `${shard.trials.length} trial(s) on ${shard.placement.label}, harness on ${shard.harnessHosts.join(', ') || 'unknown'} (run ${shard.runId})`,
    ]);
  }
  return pairs;
}

/** A merged run's cells per host pair: each pair's mean of the primary metric and whether they differ. */
export function pairTable(a: RunAnalysis): Table {
  return {
    title: 'By host pair: primary metric per pair, mean [95 % t-interval]',
    header: ['cell', 'metric', 'host pair', 'trials', 'mean [95 % CI]', 'pairs differ'],
    rows: a.pairs.flatMap((cell) =>
      cell.pairs.map((pair, i) => [
        i === 0 ? `${cell.workload} ${intervalLabel(cell.intervalMs)}` : '',
        i === 0 ? `${cell.metric} (${cell.unit})` : '',
        pair.label,
        String(pair.n),
        `${formatNumber(pair.mean)}${Number.isFinite(pair.low) ? ` [${formatNumber(pair.low)}, ${formatNumber(pair.high)}]` : ''}`,
        i > 0
          ? ''
          : cell.strongest
            ? `${cell.differ ? 'YES' : 'no'} (p = ${formatNumber(cell.strongest.p)})`
            : 'untested',
      ]),
    ),
    note: "Welch's t between every two pairs, Bonferroni-adjusted over the cell's comparisons; YES below 0.05. A cell whose pairs differ mixes machines that measure differently: read its overhead with care.",
  };
}

/** The history section's words, the same in the HTML and the PDF. */
export interface ComparisonSummary {
  verdict: string;
  regressed: boolean;
  /** The rows with history (none: the verdict says there was nothing to compare). */
  rows: ComparisonRow[];
  /** What was left out and why, and the comparison's own notes. */
  notes: string[];
}

export function comparisonSummary(c: Comparison): ComparisonSummary {
  const { rows, leftOut } = rowsWithHistory(c);
  const notes = [
    ...(leftOut > 0 ? [`${leftOut} metric(s) that no earlier comparable run measured are left out.`] : []),
    ...c.incomparable.map((i) => `Left out run ${i.runId}: ${i.differs.join(', ')} differ.`),
    ...c.notes,
  ];
  const verdict =
    rows.length === 0
      ? `No regression found: ${NOTHING_TO_COMPARE}.`
      : c.regressions > 0
        ? `${c.regressions} regression(s) found.`
        : 'No regression found.';
  return { verdict, regressed: c.regressions > 0, rows, notes };
}

/** The comparison against earlier runs, one row per metric with history. */
export function comparisonTable(c: Comparison, rows: readonly ComparisonRow[]): Table {
  return {
    title: `Against ${c.comparedRunIds.length} comparable earlier run(s): Mann-Whitney U on trials, alpha ${c.options.alpha}, threshold ${(c.options.defaultThreshold * 100).toFixed(0)} %`,
    header: ['workload', 'interval', 'metric', 'old mean', 'new mean', 'change', 'p', 'verdict'],
    rows: rows.map((r) => [
      r.workload,
      intervalLabel(r.intervalMs),
      r.metric,
      formatNumber(r.oldMean),
      formatNumber(r.newMean),
      Number.isFinite(r.change) ? `${(r.change * 100).toFixed(1)} %` : '-',
      Number.isFinite(r.p) ? r.p.toPrecision(2) : '-',
      r.verdict,
    ]),
  };
}

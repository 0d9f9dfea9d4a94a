import type { MetricCell, RunAnalysis } from '../analysis/analyze.ts';
import { VERSUS_TEXT } from '../analysis/findings.ts';
import { headlineMetrics } from '../analysis/metric-specs.ts';
import { PROTECTION_METRIC } from '../harness/store/protection-metrics.ts';
import { formatNumber, formatRatio, intervalLabel } from './format.ts';
import { textTable } from './table.ts';

/** Besides each workload's headline metrics (its primary first), for every protected cell, whether the checkpoint rate was what was asked, and the pause. */
const PROTECTION_METRICS: Record<string, string> = {
  [PROTECTION_METRIC.effectiveRate]: 'checkpoints/s',
  [PROTECTION_METRIC.pauseP50]: 'pause p50',
};

function overheadText(m: MetricCell): string {
  if (m.intervalMs === null) return 'baseline';
  if (m.metric === PROTECTION_METRIC.effectiveRate)
    return typeof m.intervalMs === 'number'
      ? `configured ${formatNumber(1000 / m.intervalMs)}/s`
      : 'adaptive';
  if (!m.overhead) return '';
  const { ratio, absolute, baselineMean, minimumDetectable } = m.overhead;
  const ci = Number.isFinite(ratio.low) ? ` [${formatRatio(ratio.low)}, ${formatRatio(ratio.high)}]` : '';
  if (m.better === 'lower')
    return `${absolute >= 0 ? '+' : ''}${formatNumber(absolute)} ${m.unit}, x${formatRatio(ratio.estimate)}${ci}`;
  // Throughput: the change of the metric itself (-98 % = a fiftieth of the baseline's rate).
  const change = absolute / baselineMean;
  const noise =
    Number.isFinite(minimumDetectable) && Math.abs(change) < minimumDetectable ? ' (below MDE)' : '';
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %${noise}, x${formatRatio(ratio.estimate)} worse${ci}`;
}

/**
 * The end-of-run summary: per workload and interval the headline metrics with mean, 95 % CI, N and
 * overhead against the baseline; the protection's checkpoint rate and pause; the best interval per
 * workload and the study's findings; the mechanisms and every warning.
 */
export function formatConsoleReport(a: RunAnalysis): string {
  const rows: string[][] = [];
  const workloads = [...new Set(a.metrics.map((m) => m.workload))];
  for (const workload of workloads) {
    const wanted = [...headlineMetrics(a.metricSpecs[workload]), ...Object.keys(PROTECTION_METRICS)];
    for (const metric of wanted) {
      for (const m of a.metrics.filter((x) => x.workload === workload && x.metric === metric)) {
        rows.push([
          workload,
          PROTECTION_METRICS[metric] ?? `${metric} (${m.unit})`,
          intervalLabel(m.intervalMs),
          String(m.n),
          formatNumber(m.mean),
          Number.isFinite(m.ci.low) ? `[${formatNumber(m.ci.low)}, ${formatNumber(m.ci.high)}]` : '(N < 2)',
          overheadText(m),
        ]);
      }
    }
  }
  const out: string[] = [];
  out.push(
    rows.length
      ? textTable(
          [
            'workload',
            'metric',
            'interval',
            'N',
            'mean',
            '95% CI',
            'overhead vs baseline [95% bootstrap CI]',
          ],
          rows,
          new Set([3, 4]),
        )
      : '(no finished trials to summarize)',
  );
  const best = a.best.filter((b) => b.bestMs !== null);
  if (best.length) {
    out.push('');
    for (const b of best) {
      const ties = b.tiesMs.filter((t) => t !== b.bestMs);
      out.push(
        `Best interval for ${b.workload} (${b.metric}): ${b.bestMs} ms${ties.length ? ` (tied: ${ties.map((t) => `${t} ms`).join(', ')})` : ''}${b.adaptive ? `; adaptive x${formatRatio(b.adaptive.ratio.estimate)}: ${VERSUS_TEXT[b.adaptive.versusBest]} the best fixed interval` : ''}`,
      );
    }
  }
  out.push('');
  for (const f of a.findings) out.push(`${f.title}:\n  ${f.verdict}`);
  const session = a.session;
  if (session) {
    out.push('');
    out.push(`Mechanisms (${session.testbed.name} testbed):`);
    for (const [job, mechanism] of Object.entries(session.testbed.mechanisms)) {
      const detail = session.testbed.details?.[job];
      out.push(`  ${job}: ${mechanism}${detail ? ` - ${detail}` : ''}`);
    }
    for (const caveat of session.testbed.caveats) out.push(`Note: ${caveat}`);
  }
  for (const warning of a.warnings) out.push(`Warning: ${warning}`);
  return out.join('\n');
}

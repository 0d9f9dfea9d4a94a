import type { CellMetricSummary } from '../analysis/summarize.ts';
import type { TestbedFacts } from '../harness/testbeds/types.ts';
import { textTable } from './table.ts';

/** A metric the console summary shows, with a readable label. */
export interface HeadlineMetric {
  workload: string;
  metric: string;
  label: string;
}

/** Metrics of the protection shown for every workload: is the checkpoint rate what was asked? */
export const PROTECTION_HEADLINES = [
  { metric: 'effective_rate_hz', label: 'checkpoints/s' },
  { metric: 'pause_p50_us', label: 'pause p50 (µs)' },
];

/** Number with sensible significant digits for a table cell. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toString();
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function formatOverhead(s: CellMetricSummary): string {
  if (s.intervalMs === null) return 'baseline';
  if (!s.overhead || s.source === 'protection') return '';
  const { relative, absolute, baselineMean } = s.overhead;
  if (s.better === 'lower') {
    // Latency-like: the added amount in the metric's unit, and how many times the baseline it is.
    const sign = absolute >= 0 ? '+' : '';
    return `${sign}${formatNumber(absolute)} ${s.unit} (x${formatNumber(s.mean / baselineMean)})`;
  }
  return `${relative >= 0 ? '-' : '+'}${Math.abs(relative * 100).toFixed(1)} % (${relative >= 0 ? 'slower' : 'faster'})`;
}

/**
 * The end-of-run summary: per workload and interval, the headline metrics with mean, 95 % CI, N and
 * overhead against the baseline, and the protection's effective checkpoint rate and pause.
 */
export function formatSummary(
  summaries: readonly CellMetricSummary[],
  headlines: readonly HeadlineMetric[],
  facts: TestbedFacts | null,
): string {
  const rows: string[][] = [];
  const workloads = [...new Set(headlines.map((h) => h.workload))];
  for (const workload of workloads) {
    const wanted = [
      ...headlines.filter((h) => h.workload === workload),
      ...PROTECTION_HEADLINES.map((p) => ({ workload, ...p })),
    ];
    for (const { metric, label } of wanted) {
      const cells = summaries.filter((s) => s.workload === workload && s.metric === metric);
      for (const s of cells) {
        rows.push([
          workload,
          label,
          s.intervalMs === null ? 'baseline' : `${s.intervalMs} ms`,
          String(s.n),
          formatNumber(s.mean),
          Number.isFinite(s.ci.low) ? `[${formatNumber(s.ci.low)}, ${formatNumber(s.ci.high)}]` : '(N < 2)',
          s.metric === 'effective_rate_hz'
            ? `configured ${formatNumber(1000 / (s.intervalMs ?? Number.NaN))}/s`
            : formatOverhead(s),
        ]);
      }
    }
  }
  const out: string[] = [];
  out.push(
    rows.length
      ? textTable(
          ['workload', 'metric', 'interval', 'N', 'mean', '95% CI', 'overhead vs baseline'],
          rows,
          new Set([3, 4]),
        )
      : '(no finished trials to summarize)',
  );
  if (facts) {
    out.push('');
    out.push(`Mechanisms (${facts.name} testbed):`);
    for (const [job, mechanism] of Object.entries(facts.mechanisms)) {
      const detail = facts.details[job];
      out.push(`  ${job}: ${mechanism}${detail ? ` - ${detail}` : ''}`);
    }
    for (const fallback of facts.fallbacks) out.push(`Fallback: ${fallback}`);
    for (const caveat of facts.caveats) out.push(`Note: ${caveat}`);
  }
  return out.join('\n');
}

import type { LatencyCell, RunAnalysis } from '../analysis/analyze.ts';
import { intervalLabel } from '../harness/store/interval.ts';

// One way to write a number, in the findings' sentences and in every report.
export { formatNumber } from '../analysis/format-number.ts';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

// One way to write an overhead ratio, in the findings' sentences and in every report.
export { formatRatio } from '../analysis/format-ratio.ts';

/** A cell's interval as every report writes it: `baseline` (unreplicated), `25 ms` or `adaptive`. */
export { intervalLabel } from '../harness/store/interval.ts';

/** A latency cell's name in charts and tables: its interval, with its workload when a run has several. */
export function latencyCellLabel(a: RunAnalysis, cell: LatencyCell): string {
  const several = new Set(a.latency.map((c) => c.workload)).size > 1;
  return several ? `${cell.workload} ${intervalLabel(cell.intervalMs)}` : intervalLabel(cell.intervalMs);
}

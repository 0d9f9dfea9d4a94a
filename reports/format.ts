/** Number with sensible significant digits for a table cell. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toString();
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(3);
}

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

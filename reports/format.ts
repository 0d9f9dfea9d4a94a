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

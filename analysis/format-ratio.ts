/** An overhead ratio: three decimals near 1 (where the differences are), fewer when large. */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value < 10) return value.toFixed(3);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

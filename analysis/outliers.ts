import { mad, median, quantile } from './stats.ts';

/** Which values look like outliers, and by which rule. Outliers are reported, never dropped. */
export interface OutlierFlags {
  /** Indices outside Tukey's fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR]. */
  tukey: number[];
  /** Indices whose modified z-score 0.6745 (x - median) / MAD exceeds 3.5 (Iglewicz and Hoaglin). */
  mad: number[];
}

export function flagOutliers(values: readonly number[]): OutlierFlags {
  if (values.length < 4) return { tukey: [], mad: [] };
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  const iqr = q3 - q1;
  const low = q1 - 1.5 * iqr;
  const high = q3 + 1.5 * iqr;
  const m = median(values);
  const deviation = mad(values);
  const tukey: number[] = [];
  const madFlags: number[] = [];
  values.forEach((v, i) => {
    if (v < low || v > high) tukey.push(i);
    if (deviation > 0 && Math.abs((0.6745 * (v - m)) / deviation) > 3.5) madFlags.push(i);
  });
  return { tukey, mad: madFlags };
}

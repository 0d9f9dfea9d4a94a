/**
 * Two-sample significance tests for regression detection, as pure functions. Conventions follow
 * scipy.stats: two-sided p-values; Mann-Whitney U is the statistic of the first sample (ties count
 * one half), exact when there are no ties and the samples are small, otherwise the normal
 * approximation with tie and continuity corrections.
 */
import { mean, studentTCdf } from './stats.ts';

/** Standard normal CDF via erfc (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Ranks with ties given their average rank (1-based). */
function ranks(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[(order[k] as readonly [number, number])[1]] = rank;
    if (j > i) tieGroups.push(j - i + 1);
    i = j + 1;
  }
  return { ranks: out, tieGroups };
}

/** Exact distribution of U for sample sizes m, n without ties: counts of each U value. */
function exactUCounts(m: number, n: number): number[] {
  // f[i][j][u]: arrangements of i x's and j y's with statistic u; rolled over i.
  let previous: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const current: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const counts = new Array<number>(size).fill(0);
      const withX = previous[j] as number[]; // last element is an x, larger than all j y's: +j
      const withY = current[j - 1] as number[];
      for (let u = 0; u < withX.length; u++) counts[u + j] = (counts[u + j] as number) + (withX[u] as number);
      for (let u = 0; u < withY.length; u++) counts[u] = (counts[u] as number) + (withY[u] as number);
      current.push(counts);
    }
    previous = current;
  }
  return previous[n] as number[];
}

export interface TestResult {
  statistic: number;
  p: number;
  method: string;
}

export function mannWhitneyU(x: readonly number[], y: readonly number[]): TestResult {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) return { statistic: Number.NaN, p: Number.NaN, method: 'none' };
  const { ranks: r, tieGroups } = ranks([...x, ...y]);
  let rankSum = 0;
  for (let i = 0; i < m; i++) rankSum += r[i] as number;
  const u = rankSum - (m * (m + 1)) / 2;
  if (tieGroups.length === 0 && m * n <= 2500) {
    const counts = exactUCounts(m, n);
    const total = counts.reduce((a, b) => a + b, 0);
    let below = 0;
    let above = 0;
    counts.forEach((c, value) => {
      if (value <= u) below += c;
      if (value >= u) above += c;
    });
    return { statistic: u, p: Math.min(1, (2 * Math.min(below, above)) / total), method: 'exact' };
  }
  const N = m + n;
  const tieTerm = tieGroups.reduce((sum, t) => sum + t ** 3 - t, 0) / (N * (N - 1));
  const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - tieTerm));
  const mu = (m * n) / 2;
  if (sigma === 0) return { statistic: u, p: 1, method: 'asymptotic' };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { statistic: u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'asymptotic' };
}

/** Welch's unequal-variance t-test, two-sided. */
export function welchT(x: readonly number[], y: readonly number[]): TestResult {
  const vx = variance(x) / x.length;
  const vy = variance(y) / y.length;
  const t = (mean(x) - mean(y)) / Math.sqrt(vx + vy);
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  return { statistic: t, p: 2 * (1 - studentTCdf(Math.abs(t), df)), method: 'welch' };
}

function variance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

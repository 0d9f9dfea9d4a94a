import { describe, expect, it } from 'vitest';
import { minimumDetectableEffect } from '../../analysis/analyze.ts';
import { bootstrapMean, bootstrapRatioOfMeans } from '../../analysis/bootstrap.ts';
import { mulberry32 } from '../../harness/util/random.ts';

/** Normal variates by Box-Muller from a seeded uniform source. */
function normals(n: number, mean: number, sd: number, random: () => number): number[] {
  return Array.from({ length: n }, () => {
    const u = 1 - random();
    const w = random();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  });
}

describe('bootstrap', () => {
  it('is reproducible for a seed and brackets the estimate', () => {
    const a = [10, 11, 12, 13, 9, 10.5];
    const b = [5, 5.5, 6, 5.2, 4.8, 5.1];
    const first = bootstrapRatioOfMeans(a, b, { resamples: 1000, seed: 42, level: 0.95 });
    const again = bootstrapRatioOfMeans(a, b, { resamples: 1000, seed: 42, level: 0.95 });
    expect(again).toEqual(first);
    expect(first.low).toBeLessThan(first.estimate);
    expect(first.high).toBeGreaterThan(first.estimate);
    expect(bootstrapRatioOfMeans(a, b, { resamples: 1000, seed: 43, level: 0.95 })).not.toEqual(first);
    expect(bootstrapMean([5], { resamples: 10, seed: 1, level: 0.95 }).low).toBeNaN();
  });

  it('covers the true ratio in about 95 % of simulated experiments', () => {
    // 400 synthetic experiments: baseline N(100, 5), protected N(150, 7.5), 10 trials each;
    // true ratio of means 1.5. A percentile bootstrap is slightly liberal at small N.
    const random = mulberry32(2024);
    const experiments = 400;
    let covered = 0;
    for (let e = 0; e < experiments; e++) {
      const baseline = normals(10, 100, 5, random);
      const protectedTrials = normals(10, 150, 7.5, random);
      const ci = bootstrapRatioOfMeans(protectedTrials, baseline, { resamples: 1000, seed: e, level: 0.95 });
      if (ci.low <= 1.5 && 1.5 <= ci.high) covered++;
    }
    const coverage = covered / experiments;
    expect(coverage).toBeGreaterThan(0.9);
    expect(coverage).toBeLessThan(0.99);
  });

  it('minimum detectable effect shrinks with more trials', () => {
    const small = minimumDetectableEffect(0.05, 3, 0.05, 3);
    const large = minimumDetectableEffect(0.05, 30, 0.05, 30);
    expect(small).toBeGreaterThan(large);
    // (t_0.975,58 + t_0.8,58) * sqrt(2 * 0.05^2 / 30) = (2.0017 + 0.8477) * 0.01291 = 0.03679
    expect(large).toBeCloseTo(0.0368, 3);
  });
});

import { describe, expect, it } from 'vitest';
import { mean, median, percentile, stdev, studentTQuantile, tInterval } from '../../analysis/stats.ts';

describe('stats', () => {
  it('matches textbook Student t quantiles', () => {
    // Two-sided 95 % critical values from any t table.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 2);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962, 3);
  });

  it('computes mean, sample stdev, median, nearest-rank percentile', () => {
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(v)).toBe(5);
    expect(stdev(v)).toBeCloseTo(2.138, 3);
    expect(median(v)).toBe(4.5);
    expect(percentile(v, 50)).toBe(4);
    expect(percentile(v, 100)).toBe(9);
    expect(percentile([], 50)).toBeNaN();
  });

  it('builds a t-interval around the mean', () => {
    const ci = tInterval([10, 12, 14]);
    // mean 12, sd 2, n 3: 4.303 * 2 / sqrt(3) = 4.969
    expect(ci.halfWidth).toBeCloseTo(4.969, 2);
    expect(ci.low).toBeCloseTo(7.031, 2);
    expect(tInterval([1]).low).toBeNaN();
  });
});

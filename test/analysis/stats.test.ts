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

// Expected values computed with scipy 1.10.1 / numpy (Debian 12's python3-scipy):
//   np.quantile(v, q) (type 7), scipy.stats.median_abs_deviation(v), scipy.stats.t.cdf/ppf,
//   scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=sem).
describe('stats against scipy', () => {
  const v = [12.1, 15.3, 9.8, 11.4, 30.2, 13.7, 12.9, 10.5];

  it('quantile (type 7) and MAD', async () => {
    const { quantile, mad } = await import('../../analysis/stats.ts');
    expect(quantile(v, 0.25)).toBeCloseTo(11.175, 10);
    expect(quantile(v, 0.5)).toBeCloseTo(12.5, 10);
    expect(quantile(v, 0.75)).toBeCloseTo(14.1, 10);
    expect(quantile(v, 0.9)).toBeCloseTo(19.77, 10);
    expect(mad(v)).toBeCloseTo(1.6, 10);
  });

  it('Student t CDF and quantiles', async () => {
    const { studentTCdf } = await import('../../analysis/stats.ts');
    expect(studentTCdf(2.0, 5)).toBeCloseTo(0.9490302605850709, 8);
    expect(studentTCdf(-1.3, 12)).toBeCloseTo(0.10900858554175712, 8);
    expect(studentTQuantile(0.8, 4)).toBeCloseTo(0.94096457719753, 6);
    expect(studentTQuantile(0.995, 7)).toBeCloseTo(3.4994832973505026, 6);
  });

  it('t-interval of the mean', () => {
    const ci = tInterval([10, 12, 14, 11, 13]);
    expect(ci.low).toBeCloseTo(10.03675683852244, 8);
    expect(ci.high).toBeCloseTo(13.96324316147756, 8);
    expect(stdev([10, 12, 14, 11, 13])).toBeCloseTo(1.5811388300841898, 10);
  });

  it('flags outliers by Tukey fences (6.7875, 18.4875) and modified z-score (7.462 > 3.5)', async () => {
    const { flagOutliers } = await import('../../analysis/outliers.ts');
    expect(flagOutliers(v)).toEqual({ tukey: [4], mad: [4] });
    expect(flagOutliers([1, 2, 3])).toEqual({ tukey: [], mad: [] });
  });
});

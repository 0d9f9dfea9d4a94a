import { describe, expect, it } from 'vitest';
import { mannWhitneyU, normalCdf, welchT } from '../../analysis/tests.ts';

// Expected values from scipy 1.10.1 (Debian 12's python3-scipy): stats.mannwhitneyu(x, y,
// alternative='two-sided', method=...), stats.ttest_ind(x, y, equal_var=False), stats.norm.cdf.
describe('significance tests against scipy', () => {
  it('normal CDF', () => {
    expect(normalCdf(-2.5758)).toBeCloseTo(0.00500042373777868, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });

  it('Mann-Whitney U, exact without ties', () => {
    const r = mannWhitneyU([10.2, 11.0, 9.8, 10.5, 10.9], [11.8, 12.4, 11.1, 12.9, 12.2, 11.6]);
    expect(r.method).toBe('exact');
    expect(r.statistic).toBe(0);
    // scipy exact for U = 0 with sizes 5 and 6: 2 / C(11, 5) = 0.004329
    expect(r.p).toBeCloseTo(2 / 462, 8);
  });

  it('Mann-Whitney U, asymptotic with ties (scipy: U = 0.5, p = 0.010411098147110422; U = 14, p = 0.03714012623439529)', () => {
    const tied = mannWhitneyU([10.2, 11.1, 9.8, 10.5, 10.9], [11.8, 12.4, 11.1, 12.9, 12.2, 11.6]);
    expect(tied.statistic).toBe(0.5);
    expect(tied.p).toBeCloseTo(0.010411098147110422, 5);
    const r = mannWhitneyU([1, 2, 2, 3, 4, 5, 5, 6], [3, 4, 4, 5, 6, 7, 8, 8, 9]);
    expect(r.statistic).toBe(14);
    expect(r.p).toBeCloseTo(0.03714012623439529, 5);
  });

  it("Welch's t-test (scipy: t = -4.288632715937228, p = 0.0020246305220789867)", () => {
    const r = welchT([10.2, 11.1, 9.8, 10.5, 10.9], [11.8, 12.4, 11.1, 12.9, 12.2, 11.6]);
    expect(r.statistic).toBeCloseTo(-4.288632715937228, 8);
    expect(r.p).toBeCloseTo(0.0020246305220789867, 6);
  });
});

import { describe, expect, it } from 'vitest';
import { mean, median, percentile, stdev, studentTQuantile, tInterval } from '../../analysis/stats.ts';
import { overheadOf, summarizeRows } from '../../analysis/summarize.ts';
import type { SampleRow } from '../../harness/store/samples.ts';

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

  it('orients overhead by the better direction', () => {
    expect(overheadOf(90, 100, 'higher')?.relative).toBeCloseTo(0.1);
    expect(overheadOf(150, 100, 'lower')?.relative).toBeCloseTo(0.5);
    expect(overheadOf(150, 100, 'lower')?.absolute).toBe(50);
    expect(overheadOf(1, 100, 'info')).toBeUndefined();
  });

  it('summarizes rows per cell and metric with overhead against the baseline', () => {
    const base = {
      workload: 'latency',
      metric: 'rtt_p50_us',
      unit: 'µs',
      better: 'lower',
      source: 'workload',
    };
    const rows = [
      { ...base, cellId: 'latency@baseline', intervalMs: null, value: 100 },
      { ...base, cellId: 'latency@baseline', intervalMs: null, value: 120 },
      { ...base, cellId: 'latency@25ms', intervalMs: 25, value: 12_600 },
      { ...base, cellId: 'latency@25ms', intervalMs: 25, value: 12_800 },
    ] as SampleRow[];
    const [b, p] = summarizeRows(rows);
    expect(b?.n).toBe(2);
    expect(b?.mean).toBe(110);
    expect(p?.overhead?.absolute).toBe(12_590);
  });
});

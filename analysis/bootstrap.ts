import { mulberry32 } from '../harness/util/random.ts';
import { mean, quantile } from './stats.ts';

/**
 * Percentile bootstrap over trials, seeded so that a report is reproducible (the seed is stored with
 * the analysis). Trials are the unit of replication: each resample draws trials with replacement.
 */
export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Two-sided confidence level, e.g. 0.95. */
  level: number;
}

export interface BootstrapInterval {
  estimate: number;
  low: number;
  high: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 2000, seed: 1, level: 0.95 };

function resampleMean(values: readonly number[], random: () => number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)] as number;
  return sum / values.length;
}

function interval(estimate: number, stats: number[], level: number): BootstrapInterval {
  const alpha = (1 - level) / 2;
  return { estimate, low: quantile(stats, alpha), high: quantile(stats, 1 - alpha) };
}

/** CI of mean(numerator) / mean(denominator), the two samples resampled independently. */
export function bootstrapRatioOfMeans(
  numerator: readonly number[],
  denominator: readonly number[],
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): BootstrapInterval {
  const estimate = mean(numerator) / mean(denominator);
  if (numerator.length < 2 || denominator.length < 2) return { estimate, low: Number.NaN, high: Number.NaN };
  const random = mulberry32(options.seed);
  const stats: number[] = [];
  for (let b = 0; b < options.resamples; b++) {
    stats.push(resampleMean(numerator, random) / resampleMean(denominator, random));
  }
  return interval(estimate, stats, options.level);
}

/** CI of the mean of one sample. */
export function bootstrapMean(
  values: readonly number[],
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): BootstrapInterval {
  const estimate = mean(values);
  if (values.length < 2) return { estimate, low: Number.NaN, high: Number.NaN };
  const random = mulberry32(options.seed);
  const stats: number[] = [];
  for (let b = 0; b < options.resamples; b++) stats.push(resampleMean(values, random));
  return interval(estimate, stats, options.level);
}

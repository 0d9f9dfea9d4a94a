import { type CompareOptions, compareRuns, DEFAULT_COMPARE } from '../../analysis/compare.ts';
import { historyRuns, loadRun, type RunData } from '../../analysis/run-data.ts';
import { formatComparison } from '../../reports/compare-console.ts';
import { UserError } from '../errors.ts';
import { findRunDir } from '../store/run-dir.ts';
import { parseDecimal } from './experiment-options.ts';

export interface CompareFlags {
  history?: string;
  alpha?: string;
  threshold?: string[];
  minHistory?: string;
}

/** `--threshold 5` (all metrics, percent) and `--threshold rtt_p99_us=10` (one metric), repeatable. */
export function compareOptions(flags: CompareFlags): CompareOptions {
  const options: CompareOptions = { ...DEFAULT_COMPARE, thresholds: {} };
  const number = (text: string, what: string) => {
    const value = parseDecimal(text);
    if (value === null || value < 0)
      throw new UserError(`${what}: got ${JSON.stringify(text)}; expected a number >= 0`);
    return value;
  };
  if (flags.alpha !== undefined) {
    options.alpha = number(flags.alpha, '--alpha');
    if (options.alpha <= 0 || options.alpha >= 1)
      throw new UserError(
        `--alpha: got ${JSON.stringify(flags.alpha)}; expected a level between 0 and 1, e.g. 0.01`,
      );
  }
  if (flags.minHistory !== undefined) {
    options.minHistory = number(flags.minHistory, '--min-history');
    if (!Number.isInteger(options.minHistory) || options.minHistory < 1)
      throw new UserError(
        `--min-history: got ${JSON.stringify(flags.minHistory)}; expected a whole number of runs >= 1`,
      );
  }
  for (const spec of flags.threshold ?? []) {
    const [metric, value] = spec.includes('=') ? spec.split('=') : [null, spec];
    const fraction = number(value ?? '', `--threshold ${spec}`) / 100;
    if (metric) options.thresholds[metric] = fraction;
    else options.defaultThreshold = fraction;
  }
  return options;
}

/**
 * `compare <old> <new>` or `compare --history <root> <new>`: prints the verdict per metric and
 * returns 1 when a regression is found (for schedulers), else 0.
 */
export async function compareCommand(
  args: string[],
  flags: CompareFlags,
  log: (line: string) => void,
): Promise<number> {
  const options = compareOptions(flags);
  let comparison: ReturnType<typeof compareRuns>;
  if (flags.history) {
    if (args.length !== 1)
      throw new UserError('compare --history <results-root> <new-run>: give exactly one new run.');
    const newRun = loadRun(findRunDir(args[0] as string, flags.history).dir);
    comparison = compareRuns(newRun, historyRuns(flags.history, newRun.dir), 'history', options);
  } else {
    if (args.length !== 2)
      throw new UserError('compare <old-run> <new-run>, or compare --history <results-root> <new-run>.');
    const [oldRun, newRun] = args.map((a) => loadRun(findRunDir(a, 'results').dir)) as [RunData, RunData];
    comparison = compareRuns(newRun, [oldRun], 'pair', options);
  }
  log(formatComparison(comparison));
  return comparison.regressions > 0 ? 1 : 0;
}

import { type ReportFlags, reportRun } from '../../reports/generate.ts';
import { DEFAULT_CONFIG } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import { findRunDir } from '../store/run-dir.ts';
import { wholeNumber } from './experiment-options.ts';

/** The `report` flags as commander hands them over. */
export interface ReportCommandFlags extends Omit<ReportFlags, 'seed' | 'resamples'> {
  seed?: string;
  resamples?: string;
}

export async function reportCommand(
  spec: string,
  flags: ReportCommandFlags,
  log: (line: string) => void,
): Promise<number> {
  const problems: string[] = [];
  const seed = wholeNumber(flags.seed, '--seed', 0, 2 ** 32 - 1, problems);
  const resamples = wholeNumber(flags.resamples, '--resamples', 100, 1_000_000, problems);
  if (problems.length) throw new UserError(problems.join('\n'));
  const paths = findRunDir(spec, flags.results ?? DEFAULT_CONFIG.results);
  const { seed: _s, resamples: _r, ...rest } = flags;
  return reportRun(
    paths.dir,
    { ...rest, ...(seed !== undefined ? { seed } : {}), ...(resamples !== undefined ? { resamples } : {}) },
    log,
  );
}

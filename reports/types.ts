import type { RunAnalysis } from '../analysis/analyze.ts';

/** One output format of a run's report. Reporters read the analysis only, never the testbed. */
export interface Reporter {
  readonly format: string;
  /** Writes the report into `outDir`; returns the paths written. */
  write(analysis: RunAnalysis, outDir: string): Promise<string[]>;
}

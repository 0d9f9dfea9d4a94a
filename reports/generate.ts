import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyzeRun, type RunAnalysis } from '../analysis/analyze.ts';
import { compareRuns } from '../analysis/compare.ts';
import { historyRuns, loadRun } from '../analysis/run-data.ts';
import { formatComparison } from './compare-console.ts';
import { formatConsoleReport } from './console.ts';
import { FILE_REPORTERS, writeReports } from './index.ts';

export interface ReportFlags {
  /** A results root: compare this run against its comparable earlier runs (section in the reports). */
  history?: string;
  results?: string;
  out?: string;
  pdf?: boolean;
  /** Bootstrap seed and resample count (validated by the command line). */
  seed?: number;
  resamples?: number;
}

/**
 * Loads and analyses a stored run (and its history). Its own function so that the rows are garbage
 * once the analysis exists: the reports, the PDF's charts above all, reuse that memory.
 */
function analyzeStored(runDir: string, flags: ReportFlags, log: (line: string) => void): RunAnalysis {
  const data = loadRun(runDir);
  for (const warning of data.warnings) log(`Warning: ${warning}`);
  const analysis = analyzeRun(data, {
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.resamples !== undefined ? { resamples: flags.resamples } : {}),
  });
  if (flags.history) {
    analysis.comparison = compareRuns(data, historyRuns(flags.history, runDir), 'history');
  }
  return analysis;
}

/**
 * Analyses a stored run and writes its reports (console, CSV, HTML, PDF) into the run directory (or
 * --out). Reads the run directory only; returns 1 when a report format could not be written.
 */
export async function reportRun(
  runDir: string,
  flags: ReportFlags,
  log: (line: string) => void,
  skipRest?: AbortSignal,
): Promise<number> {
  const analysis = analyzeStored(runDir, flags, log);
  log(formatConsoleReport(analysis));
  if (analysis.comparison) log(`\n${formatComparison(analysis.comparison)}`);
  const outDir = resolve(flags.out ?? runDir);
  mkdirSync(outDir, { recursive: true });
  const reporters = FILE_REPORTERS.filter((r) => flags.pdf !== false || r.format !== 'pdf');
  const { written, failed, skipped } = await writeReports(analysis, outDir, reporters, skipRest);
  log('');
  log(`Reports: ${written.join(', ') || 'none'}`);
  if (skipped.length)
    log(
      `Skipped (a second stop signal): ${skipped.join(', ')}. Write them with:\n  npm run report -- ${runDir}`,
    );
  for (const f of failed) {
    log(`The ${f.format} report could not be written: ${f.error}`);
    if (f.format === 'pdf') log('  (the PDF needs node-canvas: run `npm run setup` as root, then `npm ci`)');
  }
  return failed.length ? 1 : 0;
}

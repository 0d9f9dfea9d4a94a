import type { RunAnalysis } from '../analysis/analyze.ts';
import { errorMessage } from '../harness/errors.ts';
import { csvReporter } from './csv.ts';
import { htmlReporter } from './html.ts';
import { pdfReporter } from './pdf.ts';
import type { Reporter } from './types.ts';

/** The file reporters, in the order they run. Adding a format: one file and one entry here. */
export const FILE_REPORTERS: readonly Reporter[] = [csvReporter, htmlReporter, pdfReporter];

/**
 * Writes every file report into `outDir`. A reporter that fails (say node-canvas missing for the
 * PDF) does not stop the others; its error is returned so the caller can say what is missing.
 */
export async function writeReports(
  analysis: RunAnalysis,
  outDir: string,
  reporters: readonly Reporter[] = FILE_REPORTERS,
  /** Aborted: the formats not yet started are skipped (the user would rather not wait). */
  skipRest?: AbortSignal,
): Promise<{ written: string[]; failed: { format: string; error: string }[]; skipped: string[] }> {
  const written: string[] = [];
  const failed: { format: string; error: string }[] = [];
  const skipped: string[] = [];
  for (const reporter of reporters) {
    if (skipRest?.aborted) {
      skipped.push(reporter.format);
      continue;
    }
    try {
      written.push(...(await reporter.write(analysis, outDir)));
    } catch (error) {
      failed.push({ format: reporter.format, error: errorMessage(error) });
    }
  }
  return { written, failed, skipped };
}

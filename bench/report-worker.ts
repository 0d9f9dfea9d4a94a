/**
 * One measured report generation (run by bench/report.ts in a fresh process, so that peak memory
 * is the report's own, under the node flags of `npm run report`): load + analyse, then each file
 * reporter, timed separately.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun } from '../analysis/analyze.ts';
import { loadRun } from '../analysis/run-data.ts';
import { csvReporter } from '../reports/csv.ts';
import { htmlReporter } from '../reports/html.ts';
import { pdfReporter } from '../reports/pdf.ts';

const dir = process.argv[2] as string;
const out = mkdtempSync(join(tmpdir(), 'rb-bench-report-'));
const times: Record<string, number> = {};
let t = performance.now();
// As `npm run report` does (reports/generate.ts): the rows are dropped once analysed.
const { analysis, counts } = (() => {
  const data = loadRun(dir);
  times.load = performance.now() - t;
  t = performance.now();
  const analysis = analyzeRun(data);
  times.analyze = performance.now() - t;
  const counts = {
    rows: data.rows.length,
    histograms: data.histograms.size,
    checkpointTrials: data.checkpointCosts.size,
  };
  return { analysis, counts };
})();
for (const reporter of [csvReporter, htmlReporter, pdfReporter]) {
  t = performance.now();
  await reporter.write(analysis, out);
  times[reporter.format] = performance.now() - t;
}
process.stdout.write(`${JSON.stringify({ times, ...counts, maxRssKb: process.resourceUsage().maxRSS })}\n`);

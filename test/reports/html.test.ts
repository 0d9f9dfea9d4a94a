import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../analysis/analyze.ts';
import { loadRun } from '../../analysis/run-data.ts';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { htmlReporter } from '../../reports/html.ts';
import { testArtifactsDir } from '../helpers/artifacts.ts';
import { openReport } from '../helpers/report-page.ts';

describe('HTML report in real headless Chromium', { timeout: 60_000 }, () => {
  it('loads with no console errors and no network requests, and draws every chart', async () => {
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-html-')), {
      intervals: [25, 100, 400],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 9,
      failedCells: ['cpu@100ms'],
      memoryReplicated: true,
    });
    const [file] = await htmlReporter.write(analyzeRun(loadRun(dir)), dir);
    const html = readFileSync(file as string, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain('Cell cpu@100ms: 1 of 3 trials done (failed');
    // Headline first: the main tables hold the primary and headline metrics; the rest is collapsed.
    const [main, collapsed] = html.split('<details class="other-metrics">') as [string, string];
    expect(main).toContain('rtt_p99_us (µs)');
    expect(main).not.toContain('lost (count)');
    expect(collapsed).toMatch(
      /^<summary>Every other stored metric \(\d+ rows in 1 tables; also in cells\.csv\)/,
    );
    expect(collapsed.split('</details>')[0]).toContain('lost (count)');

    const report = await openReport(file as string);
    try {
      expect(report.errors).toEqual([]);
      expect(report.requests).toEqual([`file://${file}`]);
      // Every canvas has drawn pixels.
      const drawn = await report.canvases();
      expect(drawn.map((d) => d.id)).toEqual([
        'chart-study',
        'chart-overhead-cpu',
        'chart-overhead-latency',
        'chart-latency-model',
        'chart-latency-percentiles',
        'chart-latency-cdf',
        'chart-checkpoint-rate',
        'chart-pause-cost',
        'chart-checkpoint-pause',
      ]);
      for (const canvas of drawn) expect(canvas.painted / canvas.total, canvas.id).toBeGreaterThan(0.01);
      // The figures draw their data, not just axes: pixels in the colours of their lines.
      const blue = [31, 119, 180];
      const red = [214, 39, 40];
      // Study: the cpu and latency lines. Latency model: the p50 (blue) and p99 (red) series.
      for (const id of ['chart-study', 'chart-latency-model']) {
        expect(await report.pixelsOf(id, blue), `${id} blue`).toBeGreaterThan(100);
        expect(await report.pixelsOf(id, red), `${id} red`).toBeGreaterThan(100);
      }
      // Pause against dirty pages: the fitted line (near black) across the points.
      expect(await report.pixelsOf('chart-pause-cost', [34, 34, 34])).toBeGreaterThan(100);
      // The synthetic run's pause grows by 0.8 µs per page: the fit finds it.
      const slope = Number(/pause = [\d.,]+ µs \+ ([\d.]+) µs per dirty page/.exec(html)?.[1]);
      expect(slope).toBeGreaterThan(0.75);
      expect(slope).toBeLessThan(0.85);
      await report.page.screenshot({ path: join(testArtifactsDir(), 'report-html.png'), fullPage: true });
    } finally {
      await report.close();
    }
  });
});

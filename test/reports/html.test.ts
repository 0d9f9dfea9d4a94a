/// <reference lib="dom" />
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../analysis/analyze.ts';
import { loadRun } from '../../analysis/run-data.ts';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { htmlReporter } from '../../reports/html.ts';
import { testArtifactsDir } from '../helpers/artifacts.ts';

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

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`);
      await page.waitForFunction(
        () => (window as unknown as { __chartsReady?: boolean }).__chartsReady === true,
        null,
        {
          timeout: 15_000,
        },
      );
      expect(errors).toEqual([]);
      expect(requests).toEqual([`file://${file}`]);
      // Every canvas has drawn pixels: count non-transparent pixels of each.
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].map((canvas) => {
          const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
          const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted++;
          return { id: canvas.id, painted, total: data.length / 4 };
        }),
      );
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
      const pixelsOf = (id: string, rgb: number[]) =>
        page.evaluate(
          ([canvasId, [r, g, b]]) => {
            const canvas = document.getElementById(canvasId as string) as HTMLCanvasElement;
            const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
              0,
              0,
              canvas.width,
              canvas.height,
            ).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4)
              if (
                Math.abs((data[i] as number) - (r as number)) < 12 &&
                Math.abs((data[i + 1] as number) - (g as number)) < 12 &&
                Math.abs((data[i + 2] as number) - (b as number)) < 12 &&
                (data[i + 3] as number) > 200
              )
                n++;
            return n;
          },
          [`chart-${id}`, rgb] as const,
        );
      const blue = [31, 119, 180];
      const red = [214, 39, 40];
      // Study: the cpu and latency lines. Latency model: the p50 (blue) and p99 (red) series.
      for (const id of ['study', 'latency-model']) {
        expect(await pixelsOf(id, blue), `${id} blue`).toBeGreaterThan(100);
        expect(await pixelsOf(id, red), `${id} red`).toBeGreaterThan(100);
      }
      // Pause against dirty pages: the fitted line (near black) across the points.
      expect(await pixelsOf('pause-cost', [34, 34, 34])).toBeGreaterThan(100);
      // The synthetic run's pause grows by 0.8 µs per page: the fit finds it.
      const slope = Number(/pause = [\d.,]+ µs \+ ([\d.]+) µs per dirty page/.exec(html)?.[1]);
      expect(slope).toBeGreaterThan(0.75);
      expect(slope).toBeLessThan(0.85);
      await page.screenshot({ path: join(testArtifactsDir(), 'report-html.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

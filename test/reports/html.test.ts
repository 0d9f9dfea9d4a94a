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
      intervals: [25, 100],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 9,
      failedCells: ['cpu@100ms'],
    });
    const [file] = await htmlReporter.write(analyzeRun(loadRun(dir)), dir);
    const html = readFileSync(file as string, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain('Cell cpu@100ms: 1 of 3 trials done (failed');

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
        'chart-latency-percentiles',
        'chart-latency-cdf',
        'chart-checkpoint-rate',
        'chart-checkpoint-pause',
      ]);
      for (const canvas of drawn) expect(canvas.painted / canvas.total, canvas.id).toBeGreaterThan(0.01);
      // The study's figure draws its data, not just axes: pixels in each workload's line colour.
      const lineColours = await page.evaluate(() => {
        const canvas = document.getElementById('chart-study') as HTMLCanvasElement;
        const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
          0,
          0,
          canvas.width,
          canvas.height,
        ).data;
        const near = (i: number, [r, g, b]: number[]) =>
          Math.abs((data[i] as number) - (r as number)) < 12 &&
          Math.abs((data[i + 1] as number) - (g as number)) < 12 &&
          Math.abs((data[i + 2] as number) - (b as number)) < 12 &&
          (data[i + 3] as number) > 200;
        const count = (rgb: number[]) => {
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (near(i, rgb)) n++;
          return n;
        };
        return { cpu: count([31, 119, 180]), latency: count([214, 39, 40]) };
      });
      expect(lineColours.cpu).toBeGreaterThan(100);
      expect(lineColours.latency).toBeGreaterThan(100);
      await page.screenshot({ path: join(testArtifactsDir(), 'report-html.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../analysis/analyze.ts';
import { loadRun } from '../../analysis/run-data.ts';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { pdfReporter } from '../../reports/pdf.ts';
import { testArtifactsDir } from '../helpers/artifacts.ts';
import { inkFraction } from '../helpers/ink.ts';

describe('PDF report rasterised with pdftoppm', { timeout: 60_000 }, () => {
  it('has the expected pages, every chart embedded, and ink on every page', async () => {
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-pdf-')), {
      intervals: [25, 100],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 11,
      memoryReplicated: true,
    });
    const [pdf] = await pdfReporter.write(analyzeRun(loadRun(dir)), dir);
    const info = (await execa('pdfinfo', [pdf as string])).stdout;
    const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(pages).toBeLessThanOrEqual(8);
    // Nine charts: the study, overhead (cpu, latency), latency against the model, percentiles and
    // CDF, checkpoint rate, pause against dirty pages and pause.
    const images = (await execa('pdfimages', ['-list', pdf as string])).stdout.split('\n').slice(2);
    expect(images.filter((line) => line.trim().split(/\s+/)[2] === 'image')).toHaveLength(9);
    const text = (await execa('pdftotext', ['-layout', pdf as string, '-'])).stdout;
    expect(text).toContain('Remus replication overhead');
    expect(text).toMatch(/The overhead can be prohibitive/);

    const out = testArtifactsDir();
    await execa('pdftoppm', ['-png', '-r', '50', pdf as string, join(out, 'report-pdf')]);
    const rasters = readdirSync(out).filter((f) => f.startsWith('report-pdf') && f.endsWith('.png'));
    expect(rasters.length).toBeGreaterThanOrEqual(pages);
    for (const png of rasters.slice(0, pages))
      expect(await inkFraction(join(out, png)), png).toBeGreaterThan(0.01);
    // Page 1 holds the first chart: a large painted region, not only text.
    expect(await inkFraction(join(out, 'report-pdf-1.png'))).toBeGreaterThan(0.05);
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/store/manifest.ts';
import { testArtifactsDir } from '../helpers/artifacts.ts';
import { runCli } from '../helpers/cli.ts';
import { inkFraction } from '../helpers/ink.ts';
import { openReport } from '../helpers/report-page.ts';

// The quick matrix shortened (2 trials of 2 s, no warm-up, no closed-loop phase): a real run on
// the embedded testbed, whose reports a person can look at in test-artifacts/quick-run-*.png.
const FAST = ['--matrix', 'quick', '--trials', '2', '--duration', '2', '--warmup', '0'];

describe('the reports of a real quick run, first in an empty results folder', { timeout: 240_000 }, () => {
  it('prints one line of history, draws every chart with data in Chromium, and inks every PDF page', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-quick-run-'));
    const config = join(mkdtempSync(join(tmpdir(), 'rb-quick-cfg-')), 'fast.json');
    writeFileSync(config, JSON.stringify({ workloads: { latency: { closedLoopS: 0 } } }));
    const { code, output } = await runCli(['experiment', '--config', config, ...FAST, '--results', results]);
    expect(code, output).toBe(0);
    // Nothing to compare with: one line, not a row per metric.
    expect(output.match(/^Verdict: /gm)).toHaveLength(1);
    expect(output).toMatch(/Verdict: nothing to compare: no earlier comparable run in the results folder/);
    expect(output).not.toMatch(/not enough history/);
    const runDir = join(results, readdirSync(results).find((n) => !n.startsWith('.')) as string);

    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as Manifest;
    const replicated = manifest.sessions.at(-1)?.testbed.mechanisms.replication !== 'none';
    const report = await openReport(join(runDir, 'report.html'));
    let charts = 0;
    try {
      expect(report.errors).toEqual([]);
      const drawn = await report.canvases();
      expect(drawn.map((d) => d.id)).toEqual([
        'chart-study',
        'chart-overhead-cpu',
        'chart-overhead-latency',
        'chart-latency-model',
        'chart-latency-percentiles',
        'chart-latency-cdf',
        'chart-checkpoint-rate',
        // Where memory is replicated (uffd-wp or soft-dirty here), each checkpoint's dirty pages.
        ...(replicated ? ['chart-pause-cost'] : []),
        'chart-checkpoint-pause',
      ]);
      for (const canvas of drawn) expect(canvas.painted / canvas.total, canvas.id).toBeGreaterThan(0.01);
      charts = drawn.length;
      // The measured p50 and p99 lines of the latency figure.
      expect(await report.pixelsOf('chart-latency-model', [31, 119, 180])).toBeGreaterThan(100);
      expect(await report.pixelsOf('chart-latency-model', [214, 39, 40])).toBeGreaterThan(100);
      await report.page.screenshot({ path: join(testArtifactsDir(), 'quick-run-html.png'), fullPage: true });
    } finally {
      await report.close();
    }

    const out = testArtifactsDir();
    for (const old of readdirSync(out).filter((f) => f.startsWith('quick-run-pdf'))) rmSync(join(out, old));
    const pdf = join(runDir, 'report.pdf');
    const pages = Number(/Pages:\s+(\d+)/.exec((await execa('pdfinfo', [pdf])).stdout)?.[1]);
    await execa('pdftoppm', ['-png', '-r', '50', pdf, join(out, 'quick-run-pdf')]);
    const rasters = readdirSync(out).filter((f) => f.startsWith('quick-run-pdf'));
    expect(rasters).toHaveLength(pages);
    for (const png of rasters) expect(await inkFraction(join(out, png)), png).toBeGreaterThan(0.01);
    // The PDF embeds the same charts as the page.
    const images = (await execa('pdfimages', ['-list', pdf])).stdout.split('\n').slice(2);
    expect(images.filter((line) => line.trim().split(/\s+/)[2] === 'image')).toHaveLength(charts);
  });
});

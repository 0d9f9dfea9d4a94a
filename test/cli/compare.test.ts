import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { runCli } from '../helpers/cli.ts';

describe('npm run compare', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'rb-compare-cli-'));
  const night = (n: number, cpuFactor = 1) =>
    writeSyntheticRun(join(root, `2026-11-0${n}-night`), {
      intervals: [25],
      trials: 5,
      workloads: ['cpu'],
      seed: n * 31,
      cpuFactor,
      runId: `night-${n}`,
      createdAt: new Date(Date.UTC(2026, 10, n)).toISOString(),
    });
  const history = [1, 2, 3].map((n) => night(n));
  const slow = night(4, 0.85);

  it('exits 1 and names the regression against history; 0 for a pair without one', async () => {
    const flagged = await runCli(['compare', '--history', root, slow]);
    expect(flagged.code, flagged.output).toBe(1);
    expect(flagged.output).toMatch(/cpu\s+baseline\s+events_per_s.*REGRESSION/);
    expect(flagged.output).toMatch(/Verdict: 2 REGRESSION\(S\) found/);
    const calm = await runCli(['compare', history[0] as string, history[1] as string]);
    expect(calm.code, calm.output).toBe(0);
    expect(calm.output).toMatch(/Verdict: no regression/);
  });

  it('puts the verdict into the HTML report with --history', async () => {
    const { code, output } = await runCli(['report', slow, '--history', root, '--no-pdf']);
    expect(code, output).toBe(0);
    const html = readFileSync(join(slow, 'report.html'), 'utf8');
    expect(html).toContain('Regressions against history');
    expect(html).toContain('2 regression(s) found.');
  });

  it('draws the trend: each cell over the nights, the regressed ones marked on the last night (HTML and PDF)', async () => {
    const { code, output } = await runCli(['report', slow, '--history', root]);
    expect(code, output).toBe(0);
    const html = readFileSync(join(slow, 'report.html'), 'utf8');
    const charts = JSON.parse(
      (
        /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '[]'
      ).replaceAll('\\u003c', '<'),
    ) as { id: string; config: { data: { labels: string[]; datasets: TrendDataset[] } } }[];
    type TrendDataset = { label: string; data: (number | null)[]; pointStyle: string[] };
    const trend = charts.find((c) => c.id === 'trend');
    expect(trend?.config.data.labels).toHaveLength(4);
    const datasets = trend?.config.data.datasets ?? [];
    // cpu at baseline and at 25 ms, each over the four nights; 15 % slower on the last.
    expect(datasets.map((d) => d.label)).toEqual([
      'cpu baseline (events_per_s): regression',
      'cpu 25 ms (events_per_s): regression',
    ]);
    for (const d of datasets) {
      expect(d.data.slice(0, 3).every((v) => v !== null && Math.abs(v - 1) < 0.05)).toBe(true);
      expect(d.data[3]).toBeGreaterThan(1.1);
      expect(d.pointStyle).toEqual(['circle', 'circle', 'circle', 'crossRot']);
    }
    const pdfText = (await execa('pdftotext', ['-layout', join(slow, 'report.pdf'), '-'])).stdout;
    expect(pdfText).toContain('Trend: each cell against its history');
    expect(pdfText).toContain('2 regression(s) found.');
  });

  it('a run with no comparable history: one line, not a table of rows without history', async () => {
    const lonely = mkdtempSync(join(tmpdir(), 'rb-compare-lonely-'));
    const first = writeSyntheticRun(join(lonely, 'first'), {
      intervals: [25, 100],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 5,
      runId: 'first',
    });
    const { code, output } = await runCli(['report', first, '--history', lonely, '--no-pdf']);
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /^Verdict: nothing to compare: no earlier comparable run in the results folder \(run first\)\.$/m,
    );
    expect(output).not.toMatch(/not enough history/);
    expect(output).not.toMatch(/old runs\/trials/);
    const html = readFileSync(join(first, 'report.html'), 'utf8');
    expect(html).toContain(
      'No regression found: nothing to compare: no earlier comparable run in the results folder.',
    );
    expect(html).not.toContain('not enough history');
  });

  it('against history, lists only the metrics an earlier run also measured, and says how many it left out', async () => {
    // The night runs measured cpu only; this one adds latency, whose rows have no history.
    const wider = writeSyntheticRun(join(root, '2026-11-05-night'), {
      intervals: [25],
      trials: 5,
      workloads: ['cpu', 'latency'],
      seed: 5 * 31,
      runId: 'night-5',
      createdAt: new Date(Date.UTC(2026, 10, 5)).toISOString(),
    });
    const { output } = await runCli(['compare', '--history', root, wider]);
    expect(output).toMatch(/cpu\s+25 ms\s+events_per_s/);
    expect(output).not.toMatch(/latency\s+25 ms\s+rtt_p50_us/);
    expect(output).toMatch(/\d+ metric\(s\) that no earlier comparable run measured are left out\./);
    // The reports say the same, the PDF as the HTML.
    const report = await runCli(['report', wider, '--history', root]);
    expect(report.code, report.output).toBe(0);
    const leftOut = /\d+ metric\(s\) that no earlier comparable run measured are left out\./;
    expect(readFileSync(join(wider, 'report.html'), 'utf8')).toMatch(leftOut);
    const pdfText = (await execa('pdftotext', [join(wider, 'report.pdf'), '-'])).stdout.replace(/\s+/g, ' ');
    expect(pdfText).toMatch(leftOut);
  });

  it('rejects a bad threshold with exit code 2', async () => {
    const { code, output } = await runCli(['compare', '--threshold', 'abc', history[0] as string, slow]);
    expect(code).toBe(2);
    expect(output).toMatch(/--threshold abc: got "abc"; expected a number/);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('rejects a bad threshold with exit code 2', async () => {
    const { code, output } = await runCli(['compare', '--threshold', 'abc', history[0] as string, slow]);
    expect(code).toBe(2);
    expect(output).toMatch(/--threshold abc: got "abc"; expected a number/);
  });
});

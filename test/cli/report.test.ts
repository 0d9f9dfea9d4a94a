import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { runCli } from '../helpers/cli.ts';

describe('npm run report -- <run-dir>', { timeout: 60_000 }, () => {
  it('regenerates console, CSV, HTML and PDF from the stored data', async () => {
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-report-cli-')), {
      intervals: [25, 100],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 2,
    });
    const { code, output } = await runCli(['report', dir]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/Best interval for cpu \(events_per_s\): 100 ms/);
    expect(output).toMatch(/\(ii\) The overhead can be prohibitive/);
    for (const file of ['cells.csv', 'report.html', 'report.pdf'])
      expect(existsSync(join(dir, file)), file).toBe(true);
    const csv = readFileSync(join(dir, 'cells.csv'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^run_id,cell,workload,interval_ms,metric/);
    expect(csv.some((line) => line.startsWith('synthetic-run,latency@25ms,latency,25,rtt_p50_us'))).toBe(
      true,
    );
  });

  it('names the problem when the folder is not a run', async () => {
    const { code, output } = await runCli(['report', mkdtempSync(join(tmpdir(), 'rb-not-a-run-'))]);
    expect(code).toBe(2);
    expect(output).toMatch(/has no manifest\.json/);
  });
});

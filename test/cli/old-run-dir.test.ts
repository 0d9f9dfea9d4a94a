import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { runCli } from '../helpers/cli.ts';

// A run directory written by commit 47fead4 (cpu and latency, baseline + 25 and 100 ms, 2 trials of
// 1 s: manifest, state, samples and the RTT histograms), before manifests recorded metric specs,
// with the console summary that commit printed at the end of the run.
const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/runs/written-by-47fead4');

describe('a run directory written by an older harness', () => {
  it('still reports: the same summary, best intervals and findings, and every report file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-old-run-'));
    cpSync(FIXTURE, dir, { recursive: true });
    const reported = await runCli(['report', dir]);
    expect(reported.code, reported.output).toBe(0);
    const printed = readFileSync(join(FIXTURE, 'summary-printed-by-47fead4.txt'), 'utf8');
    expect(reported.output).toContain(printed.trimEnd());
    expect(reported.output).toMatch(/^Best interval for cpu \(events_per_s\): 100 ms$/m);
    expect(reported.output).toMatch(/^ {2}Yes: even at the shortest interval \(25 ms\)/m);
    for (const file of ['cells.csv', 'report.html', 'report.pdf'])
      expect(reported.output).toContain(join(dir, file));
  });
});

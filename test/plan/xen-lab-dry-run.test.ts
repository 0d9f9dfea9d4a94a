import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('the Xen lab dry run', { timeout: 60_000 }, () => {
  it('lists what cannot run there, each cell with its reason, and plans the rest', async () => {
    const results = join(mkdtempSync(join(tmpdir(), 'rb-lab-dry-')), 'results');
    const { code, output } = await runCli([
      'experiment',
      '--testbed',
      'xen-lab',
      '--matrix',
      'full',
      '--intervals',
      '25,100,adaptive',
      '--dry-run',
      '--results',
      results,
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /mixed@100ms .*NOT RUNNABLE: not on the xen-lab testbed: its server is a Node program/,
    );
    expect(output).toMatch(
      /compile@100ms .*NOT RUNNABLE: not on the xen-lab testbed: the lab's guest is a busybox initramfs/,
    );
    expect(output).toMatch(
      /latency@adaptive .*NOT RUNNABLE: adaptive: not on this testbed: xl remus checkpoints at one fixed interval/,
    );
    expect(output).toMatch(/latency@100ms\s+checkpoint every 100 ms\s+5 trials/);
    // 6 workloads x (baseline, 25, 100, adaptive); runnable: 4 workloads x 3 intervals x 5 trials.
    expect(output).toMatch(/Plan: 24 cells, 60 trials to run, 60 not runnable;/);
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';

const TINY = [
  '--intervals',
  '25',
  '--workloads',
  'cpu',
  '--trials',
  '1',
  '--duration',
  '1',
  '--warmup',
  '0',
  '--no-baseline',
];

describe('unattended safety: one run per results directory and testbed', { timeout: 120_000 }, () => {
  it('a second concurrent run refuses clearly; a stale lock of a dead process is taken over', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-lock-'));
    const first = startCli(['experiment', ...TINY, '--results', results]);
    await first.waitFor(/\[1\/1\]/, 60_000);
    const second = await runCli(['experiment', ...TINY, '--results', results]);
    expect(second.code).toBe(2);
    expect(second.output).toMatch(
      new RegExp(
        `Another run \\(pid ${first.child.pid}, started .*\\) is using the results directory ${results}`,
      ),
    );
    expect((await first.done).code).toBe(0);
    expect(existsSync(join(results, '.remus-bench.lock'))).toBe(false);

    writeFileSync(
      join(results, '.remus-bench.lock'),
      JSON.stringify({
        pid: 2 ** 22 + 7,
        hostname: hostname(),
        startedAt: '2026-01-01T00:00:00Z',
        what: 'x',
      }),
    );
    const third = await runCli(['experiment', ...TINY, '--results', results]);
    expect(third.code, third.output).toBe(0);
    const runDir = readdirSync(results).find(
      (name) => name !== '.remus-bench.lock' && third.output.includes(name),
    ) as string;
    expect(readFileSync(join(results, runDir, 'run.log'), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z Started by pid \d+: experiment /,
    );
    expect(third.output).toMatch(
      /Taking over a stale lock of the results directory .*: pid 4194311 .* no longer runs/,
    );
  });
});

import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../harness/store/state.ts';
import { runCli } from '../helpers/cli.ts';

const ONE_TRIAL = [
  '--workloads',
  'cpu',
  '--intervals',
  '25',
  '--no-baseline',
  '--trials',
  '1',
  '--duration',
  '1',
  '--warmup',
  '0',
];

/** A PATH whose `sysbench` fails on its first call (a transient fault), then runs the real one. */
function flakySysbench(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'rb-flaky-'));
  const script = join(dir, 'sysbench');
  writeFileSync(
    script,
    `#!/bin/sh\nif [ "$1" != "--version" ] && [ ! -e "${dir}/failed-once" ]; then\n  touch "${dir}/failed-once"\n  echo "simulated transient failure" >&2\n  exit 1\nfi\nexec /usr/bin/sysbench "$@"\n`,
  );
  chmodSync(script, 0o755);
  return { ...process.env, PATH: `${dir}:${process.env.PATH}` };
}

const onlyTrial = (results: string) => {
  const run = readdirSync(results).find((n) => !n.startsWith('.')) as string;
  const state = JSON.parse(readFileSync(join(results, run, 'state.json'), 'utf8')) as RunState;
  return Object.values(state.cells).flatMap((c) => Object.values(c.trials))[0];
};

describe('bounded retries of a failed trial', { timeout: 120_000 }, () => {
  it('retries a transient failure once by default and records the failed attempt', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-retry-'));
    const { code, output } = await runCli(['experiment', ...ONE_TRIAL, '--results', results], {
      env: flakySysbench(),
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /attempt 1 failed: sysbench cpu .* exited with 1 in the guest: simulated transient failure; retrying \(1 of 1 retries\)/,
    );
    const trial = onlyTrial(results);
    expect(trial?.status).toBe('done');
    expect(trial?.attempts).toHaveLength(1);
    expect(trial?.attempts?.[0]?.reason).toMatch(/simulated transient failure/);
  });

  it('with retries 0 the same fault fails the trial (exit 1, reason in state.json)', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-retry-'));
    const config = join(results, '..', `${results.split('/').at(-1)}-cfg.json`);
    writeFileSync(config, JSON.stringify({ retries: 0 }));
    const { code, output } = await runCli(
      ['experiment', '--config', config, ...ONE_TRIAL, '--results', results],
      {
        env: flakySysbench(),
      },
    );
    expect(code, output).toBe(1);
    expect(onlyTrial(results)?.status).toBe('failed');
    expect(onlyTrial(results)?.reason).toMatch(/simulated transient failure/);
  });
});

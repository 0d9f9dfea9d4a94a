import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/store/manifest.ts';
import type { RunState } from '../../harness/store/state.ts';
import { sshTarget } from '../../harness/testbeds/xen/connect.ts';
import { runCli, startCli } from '../helpers/cli.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'rb-bad-'));
const ONE_CELL = [
  '--workloads',
  'cpu',
  '--intervals',
  '25',
  '--no-baseline',
  '--duration',
  '1',
  '--warmup',
  '0',
];
const runDirOf = (results: string) =>
  join(results, readdirSync(results).find((name) => !name.startsWith('.')) as string);

describe('numbers, conflicting flags and an empty plan are refused with exit code 2', () => {
  it('numbers from flags are plain decimals: hex, exponents and empty values are named', async () => {
    const { code, output } = await runCli([
      'experiment',
      '--trials',
      '0x3',
      '--duration',
      '1e1',
      '--seed',
      ' ',
      '--dry-run',
    ]);
    expect(code).toBe(2);
    expect(output).toMatch(/matrix\.trials \(from --trials\): got "0x3"/);
    expect(output).toMatch(/matrix\.durationS \(from --duration\): got "1e1"/);
    expect(output).toMatch(/matrix\.seed \(from --seed\): got " "/);
  });

  it('conflicting flags are named, all at once', async () => {
    const { code, output } = await runCli(['experiment', '--shard', '1/2', '--resume', 'latest', '--force']);
    expect(code).toBe(2);
    expect(output).toMatch(/--shard 1\/2 with --resume: a resumed run keeps the shard it started with/);
    const force = await runCli(['experiment', '--force', '--dry-run']);
    expect(force.code).toBe(2);
    expect(force.output).toMatch(/--force without --resume/);
  });

  it('no intervals and no baseline is nothing to run; an interval given twice is named', async () => {
    const file = join(scratch(), 'c.json');
    writeFileSync(file, JSON.stringify({ matrix: { intervals: [] } }));
    const empty = await runCli(['experiment', '--config', file, '--no-baseline', '--dry-run']);
    expect(empty.code).toBe(2);
    expect(empty.output).toMatch(/matrix: got .*; nothing to run: no intervals and no baseline/);
    const twice = await runCli(['experiment', '--intervals', '25,100,25', '--dry-run']);
    expect(twice.code).toBe(2);
    expect(twice.output).toMatch(
      /matrix\.intervals \(from --intervals\): got .*; each interval once: 25 repeated/,
    );
  });

  it('a --matrix file sets only its own fields (over --config), and holds matrix fields only', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ matrix: { trials: 2, workloads: ['cpu'] } }));
    writeFileSync(join(dir, 'matrix.json'), JSON.stringify({ intervals: [50] }));
    const layered = await runCli([
      'experiment',
      '--config',
      join(dir, 'config.json'),
      '--matrix',
      join(dir, 'matrix.json'),
      '--dry-run',
    ]);
    expect(layered.code, layered.output).toBe(0);
    expect(layered.output).toMatch(/cpu@50ms +checkpoint every 50 ms +2 trials/);
    writeFileSync(
      join(dir, 'mixed.json'),
      JSON.stringify({ matrix: { intervals: [50] }, testbed: { kind: 'xen' } }),
    );
    const mixed = await runCli(['experiment', '--matrix', join(dir, 'mixed.json'), '--dry-run']);
    expect(mixed.code).toBe(2);
    expect(mixed.output).toMatch(/"testbed" outside "matrix"; a matrix file holds matrix fields only/);
  });

  it('report and compare check their numbers', async () => {
    const report = await runCli(['report', 'latest', '--seed', 'abc', '--resamples', '5']);
    expect(report.code).toBe(2);
    expect(report.output).toMatch(/--seed: got "abc"; expected a whole number/);
    expect(report.output).toMatch(/--resamples: got "5"; expected a whole number from 100/);
    const compare = await runCli(['compare', '--alpha', '0x1', 'a', 'b']);
    expect(compare.code).toBe(2);
    expect(compare.output).toMatch(/--alpha: got "0x1"/);
  });
});

describe('damaged or partial run directories', { timeout: 120_000 }, () => {
  it('a damaged state.json or manifest.json is named (no stack trace); a missing state.json resumes from the start', async () => {
    const results = join(scratch(), 'results');
    const first = await runCli(['experiment', ...ONE_CELL, '--trials', '1', '--results', results]);
    expect(first.code, first.output).toBe(0);
    const dir = runDirOf(results);
    const state = readFileSync(join(dir, 'state.json'), 'utf8');

    writeFileSync(join(dir, 'state.json'), state.slice(0, 40));
    const damaged = await runCli(['experiment', '--resume', dir]);
    expect(damaged.code).toBe(2);
    expect(damaged.output).toMatch(/state\.json is damaged: not valid JSON .*delete it to run every trial/);
    expect(damaged.output).not.toMatch(/ at .*\.ts:\d+/);

    // A crash between the manifest and the first state: no state.json at all.
    rmSync(join(dir, 'state.json'));
    rmSync(join(dir, 'samples.jsonl'));
    const resumed = await runCli(['experiment', '--resume', 'latest', '--results', results]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/state\.json is missing: the run stopped before it wrote its first state/);
    expect(resumed.output).toMatch(/1 of 1 trials to run/);

    writeFileSync(join(dir, 'manifest.json'), '{"schema": 1, "runId": ');
    const report = await runCli(['report', dir]);
    expect(report.code).toBe(2);
    expect(report.output).toMatch(/manifest\.json is damaged: not valid JSON/);
  });

  it('--resume --force with more trials: the manifest takes the new cells and order, the new trials run', async () => {
    const results = join(scratch(), 'results');
    expect((await runCli(['experiment', ...ONE_CELL, '--trials', '1', '--results', results])).code).toBe(0);
    const dir = runDirOf(results);
    const forced = await runCli(['experiment', '--resume', dir, '--trials', '2', '--force']);
    expect(forced.code, forced.output).toBe(0);
    expect(forced.output).toMatch(/1 of 2 trials to run \(1 done before\)/);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.order).toEqual(['cpu@25ms#1', 'cpu@25ms#2']);
  });

  it('report leaves out the rows of a trial that did not finish, and says so', async () => {
    const results = join(scratch(), 'results');
    const run = await runCli(['experiment', ...ONE_CELL, '--trials', '2', '--results', results]);
    expect(run.code, run.output).toBe(0);
    const dir = runDirOf(results);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState;
    const cell = Object.values(state.cells)[0];
    const trial = Object.keys(cell?.trials ?? {}).sort()[1] as string;
    (cell?.trials[trial] as { status: string }).status = 'running';
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
    const report = await runCli(['report', dir, '--no-pdf']);
    expect(report.code, report.output).toBe(0);
    expect(report.output).toMatch(
      new RegExp(
        `Warning: \\d+ sample rows of 1 trial\\(s\\) that did not finish \\(${trial.replace(/[@#]/g, '.')}\\) are left out`,
      ),
    );
    const csv = readFileSync(join(dir, 'cells.csv'), 'utf8');
    expect(csv).toMatch(/cpu@25ms/);
    expect(csv.split('\n').find((line) => line.includes('events_per_s'))).toMatch(/,1,/);
  });

  it('merge refuses a shard whose run is still going', async () => {
    const results = join(scratch(), 'results');
    const shard = startCli([
      'experiment',
      ...ONE_CELL,
      '--trials',
      '4',
      '--shard',
      '1/2',
      '--results',
      results,
    ]);
    await shard.waitFor(/\[1\/2\]/, 60_000);
    const merge = await runCli(['merge', runDirOf(results)]);
    expect(merge.code).toBe(2);
    expect(merge.output).toMatch(/Another run \(pid \d+, started .*\) is using the results directory/);
    // With --wait it merges once the shard has ended: incomplete (exit 1), shard 2 named as missing.
    const waiting = startCli(['merge', runDirOf(results), '--wait', '120', '--out', join(results, 'merged')]);
    await waiting.waitFor(/Waiting up to 120 s for the run in /, 30_000);
    expect((await shard.done).code).toBe(0);
    const waited = await waiting.done;
    expect(waited.code, waited.output).toBe(1);
    expect(waited.output).toMatch(/shard\(s\) 2 of 2 missing; their trials show as not run/);
    expect(existsSync(join(results, 'merged', 'manifest.json'))).toBe(true);
    const bad = await runCli(['merge', runDirOf(results), '--wait', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/--wait: got "soon"; expected a whole number from 0 to 604800/);
  });
});

describe('SSH passphrases from the environment', () => {
  it('an unset passphraseEnv is an error naming the field; a set one is taken out of the environment', () => {
    const target = { host: '127.0.0.1', port: 22, user: 'root', knownHosts: '/dev/null' };
    expect(() =>
      sshTarget(
        'primary dom0',
        { ...target, passphraseEnv: 'RB_TEST_UNSET_PASSPHRASE' },
        undefined,
        'testbed.xen.primary',
      ),
    ).toThrow(
      /testbed\.xen\.primary\.passphraseEnv names the environment variable RB_TEST_UNSET_PASSPHRASE, which is not set/,
    );
    process.env.RB_TEST_PASSPHRASE = 'correct horse';
    const taken = sshTarget(
      'primary dom0',
      { ...target, passphraseEnv: 'RB_TEST_PASSPHRASE' },
      undefined,
      'testbed.xen.primary',
    );
    expect(taken.passphrase).toBe('correct horse');
    expect(process.env.RB_TEST_PASSPHRASE).toBeUndefined();
    // Children (guest programs, clients, ip netns exec) do not inherit it.
    const child = spawnSync('env', [], { encoding: 'utf8' });
    expect(child.stdout).not.toMatch(/RB_TEST_PASSPHRASE|correct horse/);
    // A reconnect reads it again from memory.
    expect(
      sshTarget(
        'backup dom0',
        { ...target, passphraseEnv: 'RB_TEST_PASSPHRASE' },
        undefined,
        'testbed.xen.backup',
      ).passphrase,
    ).toBe('correct horse');
  });
});

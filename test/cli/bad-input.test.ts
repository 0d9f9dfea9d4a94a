import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseMemoryMechanisms } from '../../harness/testbeds/emulated/memory/choose.ts';
import { WORKLOAD_NAMES } from '../../workloads/index.ts';
import { runCli } from '../helpers/cli.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'rb-cli-'));

const softDirtyWorks = await chooseMemoryMechanisms('soft-dirty').then(
  () => true,
  () => false,
);

describe('experiment rejects bad input with exit code 2 and starts nothing', () => {
  it('unknown workload: names the field, the value and the choices', async () => {
    const results = join(scratch(), 'results');
    const { code, output } = await runCli(['experiment', '--workloads', 'cpu,gpu', '--results', results]);
    expect(code).toBe(2);
    expect(output).toContain(
      `matrix.workloads.1 (from --workloads): got "gpu"; expected one of ${WORKLOAD_NAMES.join(', ')}`,
    );
    expect(output).toMatch(/nothing was started/);
    expect(existsSync(results)).toBe(false);
  });

  it('a tracking mechanism this host does not have: names it, the reason and the fix', async () => {
    const results = join(scratch(), 'results');
    const bogus = await runCli(['experiment', '--tracking', 'dirty-bits', '--results', results]);
    expect(bogus.code).toBe(2);
    expect(bogus.output).toMatch(
      /testbed\.emulated\.tracking \(from --tracking\): got "dirty-bits"; expected one of auto, uffd-wp/,
    );
  });

  it.skipIf(softDirtyWorks)(
    'asking for soft-dirty on a kernel without it: exit 2, the reason and the fix',
    async () => {
      const results = join(scratch(), 'results');
      const args = [
        'experiment',
        '--tracking',
        'soft-dirty',
        '--workloads',
        'cpu',
        '--trials',
        '1',
        '--results',
        results,
      ];
      const { code, output } = await runCli(args);
      expect(code).toBe(2);
      expect(output).toMatch(
        /testbed\.emulated\.tracking is "soft-dirty" but this host cannot do it: .*CONFIG_MEM_SOFT_DIRTY/,
      );
      expect(output).toMatch(/Use "auto"/);
    },
  );

  it('negative interval', async () => {
    const { code, output } = await runCli(['experiment', '--intervals=25,-10', '--dry-run']);
    expect(code).toBe(2);
    expect(output).toMatch(
      /matrix\.intervals\.1 \(from --intervals\): got -10; expected an interval of at least 1 ms/,
    );
  });

  it('a config file that is not JSON: names the file', async () => {
    const file = join(scratch(), 'lab.json');
    writeFileSync(file, '{ "matrix": { "trials": 3, } }');
    const { code, output } = await runCli(['experiment', '--config', file]);
    expect(code).toBe(2);
    expect(output).toContain(`Config file ${file} is not valid JSON`);
  });

  it('several bad fields in a config file are all reported at once', async () => {
    const file = join(scratch(), 'lab.json');
    writeFileSync(
      file,
      JSON.stringify({ matrix: { trials: 0, durationS: 'long' }, testbed: { kind: 'kvm' } }),
    );
    const { code, output } = await runCli(['experiment', '--config', file]);
    expect(code).toBe(2);
    expect(output).toMatch(/3 problems/);
    expect(output).toMatch(/matrix\.trials \(from .*lab\.json\): got 0/);
    expect(output).toMatch(/matrix\.durationS \(from .*lab\.json\): got "long"/);
    expect(output).toMatch(/testbed\.kind \(from .*lab\.json\): got "kvm"; expected one of emulated/);
  });

  it('a results dir that is not writable: names the path and the fix', async () => {
    const file = join(scratch(), 'a-file');
    writeFileSync(file, '');
    const results = join(file, 'results');
    const { code, output } = await runCli(['experiment', '--results', results, '--duration', '1']);
    expect(code).toBe(2);
    expect(output).toContain(`The results directory ${results} is not writable (ENOTDIR`);
    expect(output).toMatch(/--results <dir>/);
  });

  it('an unknown flag', async () => {
    const { code, output } = await runCli(['experiment', '--trails', '3']);
    expect(code).toBe(2);
    expect(output).toMatch(/unknown option '--trails'/);
  });

  it('--resume of something that is not a run directory', async () => {
    const dir = scratch();
    const { code, output } = await runCli(['experiment', '--resume', dir]);
    expect(code).toBe(2);
    expect(output).toMatch(/has no manifest\.json, so it is not a run directory/);
  });
});

describe('--dry-run', () => {
  it('prints every cell, trial count, order and ETA, and writes nothing', async () => {
    const results = join(scratch(), 'results');
    const { code, output } = await runCli([
      'experiment',
      '--matrix',
      'full',
      '--dry-run',
      '--results',
      results,
    ]);
    expect(code).toBe(0);
    expect(output).toMatch(/36 cells, 180 trials to run;/);
    expect(output).toMatch(/latency@400ms\s+checkpoint every 400 ms\s+5 trials/);
    expect(output).toMatch(/memory@baseline\s+baseline \(unreplicated\)\s+5 trials/);
    expect(output).toMatch(/mixed@25ms\s+checkpoint every 25 ms\s+5 trials/);
    expect(output).toMatch(/compile@100ms\s+checkpoint every 100 ms\s+5 trials/);
    expect(output).toMatch(/ {2}150\. /);
    expect(output).toMatch(/ETA: (\d+h)?\d+m/);
    expect(existsSync(results)).toBe(false);
  });

  it('documents every flag in --help', async () => {
    const { code, output } = await runCli(['experiment', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--matrix',
      '--testbed',
      '--config',
      '--results',
      '--trials',
      '--intervals',
      '--workloads',
      '--duration',
      '--seed',
      '--dry-run',
      '--resume',
    ]) {
      expect(output).toContain(flag);
    }
  });
});

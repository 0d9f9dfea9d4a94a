import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/version.ts';

/**
 * Adding a workload is one folder and one line: a copy of the project gets the fixture workload
 * (test/fixtures/workloads/spawnloop) as a new folder, its import line and its name in the list of
 * workloads/index.ts, and nothing else. The copy then type-checks, validates a config naming it,
 * runs it end to end on the emulated testbed, and its results are in the console summary, the
 * best-interval line, the manifest and the reports.
 */
function projectWithFixtureWorkload(): string {
  const copy = mkdtempSync(join(tmpdir(), 'rb-add-workload-'));
  // The project's files as git sees them (committed or not, ignored ones left out).
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && existsSync(join(PROJECT_ROOT, file)));
  for (const file of tracked) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(PROJECT_ROOT, file), join(copy, file));
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'));
  // The folder.
  cpSync(join(PROJECT_ROOT, 'test/fixtures/workloads/spawnloop'), join(copy, 'workloads/spawnloop'), {
    recursive: true,
  });
  // The line: its import, and its name in the list.
  const list = join(copy, 'workloads/index.ts');
  const before = readFileSync(list, 'utf8');
  const after = before
    .replace(
      "import { memoryWorkload } from './memory/index.ts';\n",
      "import { memoryWorkload } from './memory/index.ts';\nimport { spawnloopWorkload } from './spawnloop/index.ts';\n",
    )
    .replace('httpWorkload] as const;', 'httpWorkload, spawnloopWorkload] as const;');
  expect(after.split('\n').length).toBe(before.split('\n').length + 1);
  writeFileSync(list, after);
  return copy;
}

function cli(copy: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', ...args], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('adding a workload', { timeout: 300_000 }, () => {
  it('is one folder and one line of workloads/index.ts: it type-checks, runs, and is analysed and reported', () => {
    const copy = projectWithFixtureWorkload();
    const typecheck = spawnSync(
      process.execPath,
      [join(copy, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'],
      {
        cwd: copy,
        encoding: 'utf8',
      },
    );
    expect(typecheck.status, typecheck.stdout + typecheck.stderr).toBe(0);

    // The config knows its section and checks its fields.
    const bad = cli(copy, [
      'experiment',
      '--workloads',
      'spawnloop',
      '--dry-run',
      '--config',
      writeConfig(copy, { programsPerIteration: 0 }),
    ]);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.output).toMatch(/workloads\.spawnloop\.programsPerIteration/);

    const results = join(copy, 'results');
    const run = cli(copy, [
      'experiment',
      '--workloads',
      'spawnloop',
      '--intervals',
      '25,200',
      '--trials',
      '2',
      '--duration',
      '1',
      '--warmup',
      '0',
      '--results',
      results,
    ]);
    expect(run.code, run.output).toBe(0);
    // The console summary and the best-interval line.
    expect(run.output).toMatch(/^spawnloop +iterations_per_s \(iterations\/s\) +baseline +2 /m);
    expect(run.output).toMatch(/^spawnloop +iterations_per_s \(iterations\/s\) +25 ms +2 /m);
    expect(run.output).toMatch(/^Best interval for spawnloop \(iterations_per_s\): \d+ ms/m);
    const dir = join(results, readdirSync(results).find((name) => !name.startsWith('.')) as string);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.config.workloads.spawnloop).toEqual({ programsPerIteration: 1 });
    expect(manifest.metrics.spawnloop.find((m: { primary?: boolean }) => m.primary).name).toBe(
      'iterations_per_s',
    );
    // The reports.
    expect(readFileSync(join(dir, 'cells.csv'), 'utf8')).toMatch(/spawnloop@25ms.*iterations_per_s/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('spawnloop');
    expect(html).toContain('iterations_per_s');
    // A report written again from the run directory alone reads the same.
    const again = cli(copy, ['report', dir, '--no-pdf']);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/^spawnloop +iterations_per_s/m);
  });
});

function writeConfig(copy: string, section: Record<string, unknown>): string {
  const path = join(copy, 'bad-config.json');
  writeFileSync(path, JSON.stringify({ workloads: { spawnloop: section } }));
  return path;
}

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addModule, cliIn, copyProject, typecheck } from '../helpers/project-copy.ts';

/**
 * Adding a workload is one folder and one line: a copy of the project gets the fixture workload
 * (test/fixtures/workloads/spawnloop) as a new folder, its import line and its name in the list of
 * workloads/index.ts, and nothing else. The copy then type-checks, validates a config naming it,
 * runs it end to end on the emulated testbed, and its results are in the console summary, the
 * best-interval line, the manifest and the reports.
 */
function projectWithFixtureWorkload(): string {
  const copy = copyProject('rb-add-workload-');
  const grew = addModule(copy, {
    fixture: 'test/fixtures/workloads/spawnloop',
    folder: 'workloads/spawnloop',
    list: 'workloads/index.ts',
    importAfter: "import { memoryWorkload } from './memory/index.ts';\n",
    importLine: "import { spawnloopWorkload } from './spawnloop/index.ts';",
    listEnd: '\n] as const;',
    name: 'spawnloopWorkload',
  });
  // Its import and its entry in the list (one name per line since the list outgrew one line).
  expect(grew).toBe(2);
  return copy;
}

const cli = cliIn;

describe('adding a workload', { timeout: 300_000 }, () => {
  it('is one folder and one line of workloads/index.ts: it type-checks, runs, and is analysed and reported', () => {
    const copy = projectWithFixtureWorkload();
    const checked = typecheck(copy);
    expect(checked.status, checked.output).toBe(0);

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

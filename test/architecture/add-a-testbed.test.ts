import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addModule, cliIn, copyProject, typecheck } from '../helpers/project-copy.ts';

/**
 * Adding a testbed is one folder and one line: a copy of the project gets the fixture testbed
 * (test/fixtures/testbeds/pause-only: the emulated mechanism without memory copy) as a new folder,
 * its import line and its name in harness/testbeds/index.ts. The copy type-checks, `--testbed`
 * takes it, its config section is validated, and a run on it records it and reports.
 */
describe('adding a testbed', { timeout: 300_000 }, () => {
  it('is one folder and one line of harness/testbeds/index.ts: it type-checks, is configured, runs and reports', () => {
    const copy = copyProject('rb-add-testbed-');
    const grew = addModule(copy, {
      fixture: 'test/fixtures/testbeds/pause-only',
      folder: 'harness/testbeds/pause-only',
      list: 'harness/testbeds/index.ts',
      importAfter: "import { emulatedTestbed } from './emulated/index.ts';\n",
      importLine: "import { pauseOnlyTestbed } from './pause-only/index.ts';",
      listEnd: '] as const;',
      name: 'pauseOnlyTestbed',
    });
    expect(grew).toBe(1);
    const checked = typecheck(copy);
    expect(checked.status, checked.output).toBe(0);

    const config = join(copy, 'bad-testbed.json');
    writeFileSync(
      config,
      JSON.stringify({ testbed: { kind: 'pause-only', pauseOnly: { freezer: 'magic' } } }),
    );
    const bad = cliIn(copy, ['experiment', '--config', config, '--dry-run']);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.output).toMatch(/testbed\.pauseOnly\.freezer \(from .*bad-testbed\.json\): got "magic"/);

    const results = join(copy, 'results');
    const run = cliIn(copy, [
      'experiment',
      '--testbed',
      'pause-only',
      '--workloads',
      'cpu',
      '--intervals',
      '25',
      '--trials',
      '1',
      '--duration',
      '1',
      '--warmup',
      '0',
      '--results',
      results,
    ]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^Testbed pause-only: .*replication=none/m);
    const dir = join(results, readdirSync(results).find((name) => !name.startsWith('.')) as string);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.config.testbed.kind).toBe('pause-only');
    expect(manifest.sessions[0].testbed.name).toBe('pause-only');
    expect(manifest.sessions[0].testbed.semantics).toEqual(
      expect.objectContaining({ outputHeld: true, memoryReplicated: false }),
    );
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('pause-only');
  });
});

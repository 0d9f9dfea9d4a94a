import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_CONFIG as DEFAULTS } from '../../harness/config/presets.ts';
import type { Config } from '../../harness/config/schema.ts';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { configureWorkloads, WORKLOADS } from '../../workloads/index.ts';

/** The Debian packages `harness/setup/apt-packages.sh` installs, as printed by its --list option. */
function setupPackages(...options: string[]): string[] {
  return execFileSync('bash', ['harness/setup/apt-packages.sh', '--list', ...options], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

/**
 * Every server and program variant the config schema allows (each choice field of every workload's
 * section), one config each: the tests run them all on this machine (the Xen lab's guest variants
 * included), so the set-up must install them all.
 */
function everyWorkloadVariant(): Config[] {
  const base = DEFAULTS.workloads as Record<string, Record<string, unknown>>;
  const variants: Record<string, unknown>[] = [base];
  for (const workload of WORKLOADS) {
    const shape = (workload.configSchema as z.ZodObject).shape;
    for (const [field, schema] of Object.entries(shape)) {
      if (!(schema instanceof z.ZodEnum)) continue;
      for (const option of schema.options)
        variants.push({ ...base, [workload.name]: { ...base[workload.name], [field]: option } });
    }
  }
  return variants.map((workloads) => ({ ...DEFAULTS, workloads }) as Config);
}

describe('the project set-up installs every program a workload runs', () => {
  it('npm run setup covers the default workloads (the experiment of the README)', () => {
    const installed = new Set(setupPackages());
    const needed = [...configureWorkloads(DEFAULTS.workloads).values()].flatMap((m) => m.requiredTools);
    expect(needed.length).toBeGreaterThan(0);
    for (const tool of needed)
      expect(installed, `${tool.command} for ${tool.neededBy}`).toContain(tool.debianPackage);
  });

  it("the tests' set-up (--test) covers every server and program variant", () => {
    const installed = new Set(setupPackages('--test'));
    const missing = new Set<string>();
    for (const config of everyWorkloadVariant())
      for (const module of configureWorkloads(config.workloads).values())
        for (const tool of module.requiredTools)
          if (!installed.has(tool.debianPackage)) missing.add(`${tool.debianPackage} (${tool.neededBy})`);
    expect([...missing]).toEqual([]);
  });

  it('refuses an unknown option instead of installing', () => {
    expect(() =>
      execFileSync('bash', ['harness/setup/apt-packages.sh', '--tests'], {
        cwd: PROJECT_ROOT,
        stdio: 'pipe',
      }),
    ).toThrow(/unknown option --tests/);
  });
});

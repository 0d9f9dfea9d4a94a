import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../harness/config/presets.ts';
import {
  type Config,
  httpWorkloadSchema,
  latencyWorkloadSchema,
  memoryWorkloadSchema,
} from '../../harness/config/schema.ts';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { workloadModules } from '../../workloads/registry.ts';

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
 * Every server and program variant the config schema allows, one config each: the tests run them all
 * on this machine (the Xen lab's guest variants included), so the set-up must install them all.
 */
function everyWorkloadVariant(): Config[] {
  const base = DEFAULT_CONFIG.workloads;
  const variants: Config['workloads'][] = [base];
  for (const server of httpWorkloadSchema.shape.server.options)
    variants.push({ ...base, http: { ...base.http, server } });
  for (const echoServer of latencyWorkloadSchema.shape.echoServer.options)
    variants.push({ ...base, latency: { ...base.latency, echoServer } });
  for (const program of memoryWorkloadSchema.shape.program.options)
    variants.push({ ...base, memory: { ...base.memory, program } });
  return variants.map((workloads) => ({ ...DEFAULT_CONFIG, workloads }));
}

describe('the project set-up installs every program a workload runs', () => {
  it('npm run setup covers the default workloads (the experiment of the README)', () => {
    const installed = new Set(setupPackages());
    const needed = Object.values(workloadModules(DEFAULT_CONFIG)).flatMap((m) => m?.requiredTools ?? []);
    expect(needed.length).toBeGreaterThan(0);
    for (const tool of needed)
      expect(installed, `${tool.command} for ${tool.neededBy}`).toContain(tool.debianPackage);
  });

  it("the tests' set-up (--test) covers every server and program variant", () => {
    const installed = new Set(setupPackages('--test'));
    const missing = new Set<string>();
    for (const config of everyWorkloadVariant())
      for (const module of Object.values(workloadModules(config)))
        for (const tool of module?.requiredTools ?? [])
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

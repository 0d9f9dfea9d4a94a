import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { CGROUP_PREFIX, type CgroupMounts, findCgroupMounts } from './cgroup.ts';
import type { FREEZER_CHOICES } from './config.ts';
import { type FreezerKind, openFreezer } from './freezer.ts';

export type FreezerPreference = (typeof FREEZER_CHOICES)[number];

export interface FreezerChoice {
  kind: FreezerKind;
  /** Parent folder of the per-guest cgroups (cgroup kinds only). */
  root: string | null;
  description: string;
  fallbacks: string[];
}

const DESCRIPTIONS: Record<FreezerKind, string> = {
  cgroup2: 'cgroup v2 cgroup.freeze',
  cgroup1: 'cgroup v1 freezer.state',
  sigstop: 'SIGSTOP/SIGCONT of the process groups (the guest can observe it)',
};

/**
 * Functional check: create a scratch cgroup, freeze and thaw it, remove it. A mount that exists but
 * is read-only (a container, a non-root user) fails here and the next mechanism is tried.
 */
function checkCgroup(kind: 'cgroup2' | 'cgroup1', root: string | null): string | null {
  if (!root)
    return `no ${kind === 'cgroup2' ? 'cgroup2 mount' : 'cgroup v1 freezer mount'} in /proc/self/mountinfo`;
  const dir = join(root, `${CGROUP_PREFIX}${process.pid}-probe`);
  try {
    mkdirSync(dir);
  } catch (error) {
    return `cannot create ${dir} (${(error as NodeJS.ErrnoException).code})`;
  }
  try {
    const control = kind === 'cgroup2' ? 'cgroup.freeze' : 'freezer.state';
    if (!existsSync(join(dir, control))) return `${join(dir, control)} does not exist`;
    const freezer = openFreezer({ kind, dir });
    try {
      freezer.freeze();
      freezer.thaw();
    } finally {
      freezer.close();
    }
    return null;
  } catch (error) {
    return `freeze test in ${dir} failed (${(error as Error).message})`;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // swept as stale later
    }
  }
}

/** The best freezer the host offers (v2, then v1, then SIGSTOP), or exactly the one asked for. */
export function chooseFreezer(
  preference: FreezerPreference,
  mounts: CgroupMounts = findCgroupMounts(),
): FreezerChoice {
  const fallbacks: string[] = [];
  const candidates: ['cgroup2' | 'cgroup1', string | null][] = [
    ['cgroup2', mounts.v2],
    ['cgroup1', mounts.v1Freezer],
  ];
  for (const [kind, root] of candidates) {
    if (preference !== 'auto' && preference !== kind) continue;
    const problem = checkCgroup(kind, root);
    if (!problem) return { kind, root, description: DESCRIPTIONS[kind], fallbacks };
    if (preference === kind) {
      throw new UserError(
        `testbed.emulated.freezer is "${kind}" but that freezer is not usable here: ${problem}. Use "auto" to fall back.`,
      );
    }
    fallbacks.push(`${kind} not usable: ${problem}`);
  }
  return { kind: 'sigstop', root: null, description: DESCRIPTIONS.sigstop, fallbacks };
}

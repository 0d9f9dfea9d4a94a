import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PREFIX, findCgroupMounts } from '../../harness/testbeds/emulated/cgroup.ts';
import { GUEST_ENV_MARKER } from '../../harness/testbeds/emulated/guest.ts';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { watchOutput } from './output-watcher.ts';

export interface CliRun {
  child: ChildProcess;
  output: () => string;
  /** Resolves when stdout + stderr match. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  done: Promise<{ code: number | null; output: string }>;
}

/** Starts `remus-bench <args>` the way `npm run` does (tsx), capturing stdout and stderr together. */
export function startCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'harness/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  });
  const { output, waitFor } = watchOutput(child);
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output: output() })),
  );
  return { child, output, waitFor, done };
}

export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): Promise<{ code: number | null; output: string }> {
  return startCli(args, options).done;
}

/** Processes that carry the guest marker in their environment (guest programs and controllers). */
export function leftoverGuestProcesses(labelPart = ''): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    const marker = environ.split('\0').find((kv) => kv.startsWith(`${GUEST_ENV_MARKER}=`));
    if (marker?.includes(labelPart)) found.push(Number(entry));
  }
  return found;
}

/** Cgroups created by harness process `pid` that still exist. */
export function leftoverCgroups(pid: number): string[] {
  const mounts = findCgroupMounts();
  return [mounts.v2, mounts.v1Freezer]
    .filter((root): root is string => root !== null && existsSync(root))
    .flatMap((root) =>
      readdirSync(root)
        .filter((n) => n.startsWith(`${CGROUP_PREFIX}${pid}-`))
        .map((n) => join(root, n)),
    );
}

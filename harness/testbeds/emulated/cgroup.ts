import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Prefix of every cgroup this harness creates: remus-bench-<harness pid>-<label>. */
export const CGROUP_PREFIX = 'remus-bench-';

export interface CgroupMounts {
  /** cgroup2 mount point: /sys/fs/cgroup on pure v2 hosts, /sys/fs/cgroup/unified on hybrid ones. */
  v2: string | null;
  /** cgroup v1 hierarchy that has the freezer controller. */
  v1Freezer: string | null;
}

/** Reads /proc/self/mountinfo (fields: ... mount-point ... - fstype source super-options). */
export function findCgroupMounts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupMounts {
  let v2: string | null = null;
  let v1Freezer: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (!mountPoint) continue;
    if (fstype === 'cgroup2' && v2 === null) v2 = mountPoint;
    if (fstype === 'cgroup' && superOptions.split(',').includes('freezer')) v1Freezer = mountPoint;
  }
  return { v2, v1Freezer };
}

export function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tryWrite(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills every process of a cgroup and removes it. Thaws first: a task frozen in a v1 freezer does
 * not die of SIGKILL until thawed. Uses cgroup.kill where the kernel has it (v2, Linux >= 5.14).
 */
export async function destroyCgroup(dir: string, kind: 'cgroup2' | 'cgroup1'): Promise<void> {
  if (!existsSync(dir)) return;
  if (kind === 'cgroup2') tryWrite(join(dir, 'cgroup.freeze'), '0');
  else tryWrite(join(dir, 'freezer.state'), 'THAWED');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pids = readPids(dir);
    if (pids.length === 0) break;
    if (!(kind === 'cgroup2' && tryWrite(join(dir, 'cgroup.kill'), '1'))) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await sleep(20);
  }
  const left = readPids(dir);
  if (left.length > 0)
    throw new Error(`cgroup ${dir} still holds processes ${left.join(', ')} after SIGKILL`);
  // rmdir can race with the exit of the last task for a few ms.
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (attempt >= 50) throw error;
      await sleep(20);
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes cgroups left by an earlier harness process that died without cleaning up (kill -9,
 * power loss): their name carries the owner's pid. Returns the folders removed.
 */
export async function sweepStaleCgroups(mounts: CgroupMounts): Promise<string[]> {
  const removed: string[] = [];
  const roots: [string | null, 'cgroup2' | 'cgroup1'][] = [
    [mounts.v2, 'cgroup2'],
    [mounts.v1Freezer, 'cgroup1'],
  ];
  for (const [root, kind] of roots) {
    if (!root || !existsSync(root)) continue;
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = new RegExp(`^${CGROUP_PREFIX}(\\d+)-`).exec(name);
      if (!match || isAlive(Number(match[1]))) continue;
      try {
        await destroyCgroup(join(root, name), kind);
        removed.push(join(root, name));
      } catch {
        // left for the next sweep; the name says whose it was
      }
    }
  }
  return removed;
}

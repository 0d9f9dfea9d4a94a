import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CGROUP_PREFIX, destroyCgroup, findCgroupMounts } from '../../harness/testbeds/emulated/cgroup.ts';
import { type FreezerTarget, openFreezer, parseStat } from '../../harness/testbeds/emulated/freezer.ts';
import { chooseFreezer } from '../../harness/testbeds/emulated/freezer-choice.ts';

/** User + system CPU ticks of a process (fields 14 and 15 of /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A busy process (a shell loop), placed in a fresh cgroup or its own process group. */
function busyGuest(kind: 'cgroup2' | 'cgroup1' | 'sigstop'): { pid: number; target: FreezerTarget } {
  const mounts = findCgroupMounts();
  const root = kind === 'cgroup2' ? mounts.v2 : mounts.v1Freezer;
  let dir: string | null = null;
  if (kind !== 'sigstop') {
    dir = join(root as string, `${CGROUP_PREFIX}${process.pid}-freezer-test-${kind}`);
    mkdirSync(dir);
  }
  const child = spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
  const pid = child.pid as number;
  if (dir) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  cleanups.push(async () => {
    if (dir) await destroyCgroup(dir, kind as 'cgroup2' | 'cgroup1');
    try {
      process.kill(-pid, 'SIGKILL');
      process.kill(-pid, 'SIGCONT');
    } catch {
      // gone
    }
  });
  return {
    pid,
    target: dir ? { kind: kind as 'cgroup2' | 'cgroup1', dir } : { kind: 'sigstop', pgids: [pid] },
  };
}

const mounts = findCgroupMounts();
const kinds = [
  ...(mounts.v2 ? (['cgroup2'] as const) : []),
  ...(mounts.v1Freezer ? (['cgroup1'] as const) : []),
  'sigstop' as const,
];

describe.each(kinds)('%s freezer on a real busy process', (kind) => {
  it('stops it from running while frozen and lets it run after thaw', async () => {
    const { pid, target } = busyGuest(kind);
    await sleep(100);
    const freezer = openFreezer(target);
    try {
      freezer.freeze();
      const state = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.state;
      const frozenAt = cpuTicks(pid);
      await sleep(300);
      // USER_HZ is 100: a running loop would gain ~30 ticks in 300 ms.
      expect(cpuTicks(pid) - frozenAt).toBeLessThanOrEqual(1);
      if (kind === 'sigstop') expect(state).toBe('T');
      freezer.thaw();
      const thawedAt = cpuTicks(pid);
      await sleep(300);
      expect(cpuTicks(pid) - thawedAt).toBeGreaterThan(5);
    } finally {
      freezer.thaw();
      freezer.close();
    }
  });
});

describe('chooseFreezer', () => {
  it('takes the best usable freezer and records why better ones were passed over', () => {
    const choice = chooseFreezer('auto');
    expect(kinds).toContain(choice.kind);
    expect(choice.kind).toBe(kinds[0]);
    const forced = chooseFreezer('sigstop');
    expect(forced.kind).toBe('sigstop');
  });

  it('falls back to SIGSTOP when no cgroup mount is usable, saying why', () => {
    const choice = chooseFreezer('auto', { v2: null, v1Freezer: '/nonexistent-freezer-mount' });
    expect(choice.kind).toBe('sigstop');
    expect(choice.fallbacks.join('\n')).toMatch(/cgroup2 not usable: no cgroup2 mount/);
    expect(choice.fallbacks.join('\n')).toMatch(/cgroup1 not usable: cannot create .*ENOENT/);
  });
});

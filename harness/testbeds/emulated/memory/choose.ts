import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { UserError } from '../../../errors.ts';
import { FullCompareTracker } from './compare-tracker.ts';
import { type CopyKind, type Gatherer, ProcessVmReadvGatherer, ProcMemGatherer } from './gather.ts';
import { libc } from './libc.ts';
import { PagemapReader } from './pagemap.ts';
import { RangeList } from './ranges.ts';
import { readWritableRegions } from './regions.ts';
import { SoftDirtyTracker } from './soft-dirty-tracker.ts';
import type { DirtyTracker, TrackingKind } from './tracker.ts';
import { UffdTracker } from './uffd-tracker.ts';

export type TrackingChoice = TrackingKind | 'auto';

/** Which mechanisms memory replication uses here (sent to the controller, recorded in the manifest). */
export interface MemoryPlan {
  tracking: TrackingKind;
  copy: CopyKind;
  /** Better mechanisms that did not work here, with why. */
  fallbacks: string[];
  /** The shaped link to the backup (see shaped-link.ts), or null for loopback. */
  backupLink: { rateMbit: number } | null;
}

/** One sentence per mechanism, for the manifest and the report. */
export const TRACKING_DESCRIPTIONS: Record<TrackingKind, string> = {
  'uffd-wp':
    'userfaultfd write-protect (async) + PAGEMAP_SCAN; the userfaultfd is created in each guest process by ptrace syscall injection and moved out with pidfd_getfd',
  'soft-dirty': 'soft-dirty bits: clear_refs = 4, then pagemap bit 55 per page',
  'full-compare':
    'every populated page read at each checkpoint and compared with a shadow copy (O(working set))',
};
export const COPY_DESCRIPTIONS: Record<CopyKind, string> = {
  process_vm_readv:
    'process_vm_readv (koffi), up to 1024 ranges per call, into a staging buffer during the pause',
  'proc-pid-mem': 'pread of /proc/PID/mem, one call per range, into a staging buffer during the pause',
};

function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release()
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

/** process_vm_readv on ourselves: CROSS_MEMORY_ATTACH built in and koffi loaded. */
function probeProcessVmReadv(): string | null {
  const c = libc();
  if (c instanceof Error) return c.message;
  const source = Buffer.from('remus-bench process_vm_readv probe');
  const target = Buffer.alloc(source.length);
  try {
    new ProcessVmReadvGatherer(c).gather(process.pid, oneRange(c.address(source), source.length), target, 0);
  } catch (error) {
    return (error as Error).message;
  }
  return target.equals(source) ? null : 'process_vm_readv returned different bytes';
}

function oneRange(address: bigint, length: number): RangeList {
  const list = new RangeList(1);
  list.push(Number(address), Number(address) + length);
  return list;
}

/** Runs `check` against a scratch child process that writes memory, then kills it. */
async function withScratchProcess(check: (pid: number) => void): Promise<string | null> {
  const child = spawn(
    process.execPath,
    ['-e', 'const b = Buffer.alloc(1 << 20); setInterval(() => b.fill(Date.now() & 255), 5)'],
    {
      stdio: 'ignore',
    },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (child.exitCode !== null || !child.pid) return 'the scratch process exited';
    check(child.pid);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    child.kill('SIGKILL');
  }
}

async function probeUffd(): Promise<string | null> {
  if (!kernelAtLeast(6, 7)) return `Linux ${release()} is older than 6.7 (PAGEMAP_SCAN and WP_ASYNC)`;
  const c = libc();
  if (c instanceof Error) return c.message;
  return withScratchProcess((pid) => {
    const tracker = new UffdTracker(c).forProcess(pid);
    try {
      const regions = readWritableRegions(pid);
      tracker.attach(regions);
      const pagemap = new PagemapReader(pid);
      try {
        if (!tracker.collect(regions, [], new RangeList(), pagemap)) {
          throw new Error('PAGEMAP_SCAN refused the registered regions');
        }
      } finally {
        pagemap.close();
      }
    } finally {
      tracker.close();
    }
  });
}

/**
 * Soft-dirty on ourselves: clear the bits, write, and look for bit 55. Writing 4 to clear_refs is
 * accepted even where soft-dirty is compiled out, so the bit is what is tested.
 */
function probeSoftDirty(): string | null {
  try {
    const fd = openSync('/proc/self/clear_refs', 'w');
    writeSync(fd, '4');
    closeSync(fd);
    const scratch = Buffer.alloc(1 << 20);
    scratch.fill(7);
    const pagemap = new PagemapReader(process.pid);
    const dirty = new RangeList();
    pagemap.softDirty(readWritableRegions(process.pid), dirty);
    pagemap.close();
    return dirty.count > 0
      ? null
      : 'no page shows the soft-dirty bit after a write (CONFIG_MEM_SOFT_DIRTY off)';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Picks the best tracking and copy mechanisms that work here, probing each on a real process. */
export async function chooseMemoryMechanisms(tracking: TrackingChoice): Promise<MemoryPlan> {
  const fallbacks: string[] = [];
  const pvrProblem = probeProcessVmReadv();
  const copy: CopyKind = pvrProblem ? 'proc-pid-mem' : 'process_vm_readv';
  if (pvrProblem) fallbacks.push(`copy: process_vm_readv not usable (${pvrProblem}); reading /proc/PID/mem`);

  const probes: [TrackingKind, () => Promise<string | null> | string | null][] = [
    ['uffd-wp', probeUffd],
    ['soft-dirty', probeSoftDirty],
    ['full-compare', () => null],
  ];
  for (const [kind, probe] of probes) {
    if (tracking !== 'auto' && tracking !== kind) continue;
    const problem = await probe();
    if (problem === null) return { tracking: kind, copy, fallbacks, backupLink: null };
    if (tracking !== 'auto') {
      throw new UserError(
        `testbed.emulated.tracking is "${kind}" but this host cannot do it: ${problem}. Use "auto" to take the best that works here.`,
      );
    }
    fallbacks.push(`dirty tracking: ${kind} not usable (${problem})`);
  }
  throw new Error('no dirty-tracking mechanism works here');
}

/** Builds the mechanisms of a plan (in the controller process). */
export function buildMechanisms(plan: MemoryPlan): { tracker: DirtyTracker; gatherer: Gatherer } {
  const c = libc();
  const gatherer =
    plan.copy === 'process_vm_readv' && !(c instanceof Error)
      ? new ProcessVmReadvGatherer(c)
      : new ProcMemGatherer();
  switch (plan.tracking) {
    case 'uffd-wp':
      if (c instanceof Error) throw c;
      return { tracker: new UffdTracker(c), gatherer };
    case 'soft-dirty':
      return { tracker: new SoftDirtyTracker(), gatherer };
    case 'full-compare':
      return { tracker: new FullCompareTracker(gatherer), gatherer };
  }
}

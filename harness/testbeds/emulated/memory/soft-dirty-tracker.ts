import { closeSync, openSync, writeSync } from 'node:fs';
import type { PagemapReader } from './pagemap.ts';
import type { RangeList } from './ranges.ts';
import type { Region } from './regions.ts';
import type { DirtyTracker, ProcessTracker } from './tracker.ts';

/**
 * Soft-dirty bits (CONFIG_MEM_SOFT_DIRTY, common in distribution kernels): writing 4 to
 * /proc/PID/clear_refs write-protects every page and clears the bits; a write sets bit 55 of the
 * page's pagemap entry. Pure file I/O, no ptrace. New mappings
 * are soft-dirty as a whole, so their pages count as written once.
 */
export class SoftDirtyTracker implements DirtyTracker {
  readonly kind = 'soft-dirty';
  forProcess(pid: number): ProcessTracker {
    return new SoftDirtyProcessTracker(pid);
  }
}

class SoftDirtyProcessTracker implements ProcessTracker {
  private clearFd = -1;

  constructor(private readonly pid: number) {}

  attach(): void {
    this.close();
    this.clearFd = openSync(`/proc/${this.pid}/clear_refs`, 'w');
    this.clear();
  }

  private clear(): void {
    writeSync(this.clearFd, '4');
  }

  collect(
    regions: readonly Region[],
    _added: readonly Region[],
    out: RangeList,
    pagemap: PagemapReader,
  ): boolean {
    pagemap.softDirty(regions, out);
    this.clear();
    return true;
  }

  close(): void {
    if (this.clearFd >= 0) closeSync(this.clearFd);
    this.clearFd = -1;
  }
}

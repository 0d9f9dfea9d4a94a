import type { PagemapReader } from './pagemap.ts';
import type { RangeList } from './ranges.ts';
import type { Region } from './regions.ts';

export type TrackingKind = 'uffd-wp' | 'soft-dirty' | 'full-compare';

/** Dirty-page tracking of one guest process. */
export interface ProcessTracker {
  /**
   * Starts tracking; called while the guest runs (uffd-wp must stop the process with ptrace, which
   * a frozen cgroup would never let finish). Throws when this process cannot be tracked.
   */
  attach(regions: readonly Region[]): void;
  /**
   * Called while the guest is frozen: appends to `out`, in address order, every page of `regions`
   * written since the previous call (or since attach). `added` are the parts of `regions` that are
   * new since the previous call; their populated pages count as written. Returns false when the
   * tracker lost the process (exec replaced its memory): the caller copies everything and attaches
   * again after the thaw. `pagemap` is opened for this checkpoint: a pagemap descriptor keeps the
   * memory it was opened on, so one kept across an exec would show the old, dead address space.
   */
  collect(
    regions: readonly Region[],
    added: readonly Region[],
    out: RangeList,
    pagemap: PagemapReader,
  ): boolean;
  close(): void;
}

/** A tracking mechanism: one ProcessTracker per guest process. */
export interface DirtyTracker {
  readonly kind: TrackingKind;
  forProcess(pid: number): ProcessTracker;
}

/** True when `start` lies inside one of the sorted `regions` (binary search). */
export function isInside(regions: readonly Region[], start: number): boolean {
  let lo = 0;
  let hi = regions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = regions[mid] as Region;
    if (start < r.start) hi = mid - 1;
    else if (start >= r.end) lo = mid + 1;
    else return true;
  }
  return false;
}

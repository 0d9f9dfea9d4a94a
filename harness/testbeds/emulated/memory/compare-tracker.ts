import type { Gatherer } from './gather.ts';
import type { PagemapReader } from './pagemap.ts';
import { RangeList } from './ranges.ts';
import { PAGE_SIZE, type Region } from './regions.ts';
import { ProcessReplica } from './replica.ts';
import type { DirtyTracker, ProcessTracker } from './tracker.ts';

/**
 * No kernel help: read every populated page at each checkpoint and compare it with a shadow copy
 * kept here. Exact and portable, but the pause grows with the
 * working set, not with the dirty rate: O(WS) per checkpoint.
 */
export class FullCompareTracker implements DirtyTracker {
  readonly kind = 'full-compare';
  constructor(private readonly gatherer: Gatherer) {}
  forProcess(pid: number): ProcessTracker {
    return new CompareProcessTracker(pid, this.gatherer);
  }
}

class CompareProcessTracker implements ProcessTracker {
  private readonly shadow = new ProcessReplica();
  private readonly populated = new RangeList();
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly pid: number,
    private readonly gatherer: Gatherer,
  ) {}

  attach(regions: readonly Region[]): void {
    this.shadow.setLayout(regions);
  }

  collect(
    regions: readonly Region[],
    _added: readonly Region[],
    out: RangeList,
    pagemap: PagemapReader,
  ): boolean {
    this.shadow.setLayout(regions);
    this.populated.clear();
    pagemap.populated(regions, this.populated);
    if (this.scratch.length < this.populated.bytes) this.scratch = Buffer.alloc(this.populated.bytes);
    this.gatherer.gather(this.pid, this.populated, this.scratch, 0);
    let at = 0;
    for (let i = 0; i < this.populated.count; i++) {
      for (let page = this.populated.start(i); page < this.populated.end(i); page += PAGE_SIZE) {
        const current = this.scratch.subarray(at, at + PAGE_SIZE);
        const shadow = this.shadow.view(page, PAGE_SIZE);
        if (shadow && !current.equals(shadow)) {
          current.copy(shadow);
          out.push(page, page + PAGE_SIZE);
        }
        at += PAGE_SIZE;
      }
    }
    return true;
  }

  close(): void {}
}

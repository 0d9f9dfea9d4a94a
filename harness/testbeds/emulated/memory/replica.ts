import type { Region } from './regions.ts';

interface Segment {
  start: number;
  end: number;
  data: Buffer;
}

/**
 * The backup's copy of one process's writable memory: one zero-filled buffer per region of the
 * primary's layout (pages the primary never populated read as zeros on both sides). A new layout
 * keeps the bytes of every address that stays mapped.
 */
export class ProcessReplica {
  private segments: Segment[] = [];

  setLayout(regions: readonly Region[]): void {
    const next: Segment[] = regions.map((r) => ({
      start: r.start,
      end: r.end,
      data: Buffer.alloc(r.end - r.start),
    }));
    for (const seg of next) {
      for (const old of this.segments) {
        const from = Math.max(seg.start, old.start);
        const to = Math.min(seg.end, old.end);
        if (from < to) old.data.copy(seg.data, from - seg.start, from - old.start, to - old.start);
      }
    }
    this.segments = next;
  }

  layout(): Region[] {
    return this.segments.map((s) => ({ start: s.start, end: s.end }));
  }

  /** The buffer holding [start, start + length), or null if the range is not inside one region. */
  view(start: number, length: number): Buffer | null {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const seg = this.segments[mid] as Segment;
      if (start < seg.start) hi = mid - 1;
      else if (start >= seg.end) lo = mid + 1;
      else {
        if (start + length > seg.end) return null;
        return seg.data.subarray(start - seg.start, start - seg.start + length);
      }
    }
    return null;
  }

  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.data.length, 0);
  }
}

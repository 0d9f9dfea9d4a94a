import { closeSync, openSync, readSync } from 'node:fs';
import type { RangeList } from './ranges.ts';
import { PAGE_SIZE, type Region } from './regions.ts';

/** Bits of a /proc/PID/pagemap entry, as bits of its most significant byte (byte 7) or byte 6. */
const PRESENT = 0x80; // bit 63, byte 7
const SWAPPED = 0x40; // bit 62, byte 7
const SOFT_DIRTY = 0x80; // bit 55, byte 6

/**
 * Reads a process's /proc/PID/pagemap (8 bytes per page). Works without privileges for the
 * process's own user (flags are readable; only PFNs are hidden).
 */
export class PagemapReader {
  readonly fd: number;
  private buffer = Buffer.alloc(8 * 4096);

  /**
   * @param fileBacked pages inside these ranges count as populated even when not mapped: their
   *   content is the file's (see WritableMemory).
   */
  constructor(
    readonly pid: number,
    private readonly fileBacked: readonly Region[] = [],
  ) {
    this.fd = openSync(`/proc/${pid}/pagemap`, 'r');
  }

  /** Appends to `out` the pages of `regions` that pass `test` (on bytes 6 and 7 of the entry). */
  private collect(
    regions: readonly Region[],
    out: RangeList,
    test: (b6: number, b7: number) => boolean,
    includeFilePages = false,
  ) {
    let file = 0; // index into the sorted fileBacked ranges
    for (const region of regions) {
      const pages = (region.end - region.start) / PAGE_SIZE;
      if (this.buffer.length < pages * 8) this.buffer = Buffer.alloc(pages * 8);
      let done = 0;
      while (done < pages * 8) {
        const n = readSync(
          this.fd,
          this.buffer,
          done,
          pages * 8 - done,
          (region.start / PAGE_SIZE) * 8 + done,
        );
        if (n === 0) break;
        done += n;
      }
      const b = this.buffer;
      for (let i = 0; i < done / 8; i++) {
        const at = region.start + i * PAGE_SIZE;
        let take = test(b[i * 8 + 6] as number, b[i * 8 + 7] as number);
        if (!take && includeFilePages) {
          while (file < this.fileBacked.length && (this.fileBacked[file] as Region).end <= at) file++;
          const f = this.fileBacked[file];
          take = f !== undefined && f.start <= at;
        }
        if (take) out.push(at, at + PAGE_SIZE);
      }
    }
  }

  /**
   * Pages that hold data (present or swapped, or in a file mapping); the rest reads as zeros and
   * needs no copy.
   */
  populated(regions: readonly Region[], out: RangeList): void {
    this.collect(regions, out, (_b6, b7) => (b7 & (PRESENT | SWAPPED)) !== 0, true);
  }

  /** Pages whose soft-dirty bit is set (cleared by writing 4 to /proc/PID/clear_refs). */
  softDirty(regions: readonly Region[], out: RangeList): void {
    this.collect(regions, out, (b6) => (b6 & SOFT_DIRTY) !== 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}

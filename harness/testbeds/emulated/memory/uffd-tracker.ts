import { closeSync } from 'node:fs';
import { processStartTime, stealUserfaultfd } from './inject.ts';
import {
  IOCTL,
  type Libc,
  PAGE_IS,
  PM_SCAN,
  UFFD_API,
  UFFD_FEATURE,
  UFFDIO_REGISTER_MODE_WP,
} from './libc.ts';
import type { PagemapReader } from './pagemap.ts';
import type { RangeList } from './ranges.ts';
import type { Region } from './regions.ts';
import type { DirtyTracker, ProcessTracker } from './tracker.ts';

const VEC_ENTRIES = 65536;
const EPERM = 1;

/** Buffers shared by every process's scan (the controller scans one process at a time). */
class ScanBuffers {
  readonly arg = Buffer.alloc(96);
  readonly a = new BigUint64Array(this.arg.buffer, this.arg.byteOffset, 12);
  readonly vec = Buffer.alloc(VEC_ENTRIES * 24);
  readonly v = new Uint32Array(this.vec.buffer, this.vec.byteOffset, VEC_ENTRIES * 6);
  readonly vecAddr: bigint;
  constructor(c: Libc) {
    this.vecAddr = c.address(this.vec);
  }
}

/**
 * userfaultfd write-protect in async mode + PAGEMAP_SCAN, driven from outside the guest: a write to a protected page only marks it written, without a
 * fault delivered to anyone; each scan returns the written pages and protects them again in one
 * ioctl. Exact (recall 1.0), and the scan costs microseconds per registered region.
 */
export class UffdTracker implements DirtyTracker {
  readonly kind = 'uffd-wp';
  private readonly buffers: ScanBuffers;

  constructor(private readonly c: Libc) {
    this.buffers = new ScanBuffers(c);
  }

  forProcess(pid: number): ProcessTracker {
    return new UffdProcessTracker(this.c, this.buffers, pid);
  }
}

class UffdProcessTracker implements ProcessTracker {
  private ufd = -1;
  /** Regions the kernel refused to register: their populated pages are copied at every checkpoint. */
  private unregistered: Region[] = [];

  /** The guest process's start time when it was handed over: a reused pid does not match it. */
  private readonly startTime: string;

  constructor(
    private readonly c: Libc,
    private readonly b: ScanBuffers,
    private readonly pid: number,
  ) {
    this.startTime = processStartTime(pid);
  }

  attach(regions: readonly Region[]): void {
    this.close();
    this.ufd = stealUserfaultfd(this.c, this.pid, this.startTime);
    const api = Buffer.alloc(24);
    const apiWords = new BigUint64Array(api.buffer, api.byteOffset, 3);
    apiWords[0] = BigInt(UFFD_API);
    apiWords[1] = BigInt(UFFD_FEATURE.WP_ASYNC | UFFD_FEATURE.WP_UNPOPULATED);
    if (this.c.ioctl(this.ufd, IOCTL.UFFDIO_API, api) !== 0) {
      throw new Error(`UFFDIO_API with WP_ASYNC refused (errno ${this.c.errno()}): kernel older than 6.7?`);
    }
    for (const region of regions) this.register(region);
  }

  private register(region: Region): void {
    const reg = Buffer.alloc(32);
    const words = new BigUint64Array(reg.buffer, reg.byteOffset, 4);
    words[0] = BigInt(region.start);
    words[1] = BigInt(region.end - region.start);
    words[2] = BigInt(UFFDIO_REGISTER_MODE_WP);
    if (this.c.ioctl(this.ufd, IOCTL.UFFDIO_REGISTER, reg) !== 0) this.unregistered.push({ ...region });
  }

  private isUnregistered(region: Region): boolean {
    return this.unregistered.some((u) => u.start < region.end && region.start < u.end);
  }

  collect(
    regions: readonly Region[],
    added: readonly Region[],
    out: RangeList,
    pagemap: PagemapReader,
  ): boolean {
    for (const region of added) this.register(region);
    for (const region of regions) {
      if (this.isUnregistered(region) || added.some((a) => a.start < region.end && region.start < a.end)) {
        // Not tracked (or new since the last checkpoint, so protected only from now on): copy all
        // of it; the scan below still runs on new parts to clear their written bits.
        if (!this.isUnregistered(region)) this.scan(pagemap, region, null);
        pagemap.populated([region], out);
        continue;
      }
      if (!this.scan(pagemap, region, out)) return false;
    }
    return true;
  }

  /** PAGEMAP_SCAN over one region: written pages into `out`, and write-protects them again. */
  private scan(pagemap: PagemapReader, region: Region, out: RangeList | null): boolean {
    const { a, v, arg } = this.b;
    let start = region.start;
    while (start < region.end) {
      a.fill(0n);
      a[0] = 96n;
      a[1] = BigInt(PM_SCAN.WP_MATCHING | PM_SCAN.CHECK_WPASYNC);
      a[2] = BigInt(start);
      a[3] = BigInt(region.end);
      a[5] = this.b.vecAddr;
      a[6] = BigInt(VEC_ENTRIES);
      a[9] = BigInt(PAGE_IS.WRITTEN);
      a[11] = BigInt(PAGE_IS.WRITTEN);
      const n = this.c.ioctl(pagemap.fd, IOCTL.PAGEMAP_SCAN, arg);
      if (n < 0) {
        if (this.c.errno() === EPERM) return false; // not registered in this mm: the process exec'd
        throw new Error(`PAGEMAP_SCAN on process ${this.pid} failed (errno ${this.c.errno()})`);
      }
      for (let i = 0; i < n; i++) {
        const s = (v[i * 6] as number) + (v[i * 6 + 1] as number) * 2 ** 32;
        const e = (v[i * 6 + 2] as number) + (v[i * 6 + 3] as number) * 2 ** 32;
        out?.push(s, e);
      }
      const walkEnd = Number(a[4]);
      if (walkEnd <= start) break;
      start = walkEnd;
    }
    return true;
  }

  close(): void {
    // Closing the last reference to the userfaultfd ends the registrations in the guest.
    if (this.ufd >= 0) closeSync(this.ufd);
    this.ufd = -1;
    this.unregistered = [];
  }
}

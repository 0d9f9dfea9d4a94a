import { monotonicMs } from '../../../util/precise-wait.ts';
import type { CaptureStats, Replicator } from '../replicator.ts';
import type { BackupLink } from './backup-link.ts';
import type { EpochDescription, ProcessDelta } from './backup-protocol.ts';
import type { Gatherer } from './gather.ts';
import { PagemapReader } from './pagemap.ts';
import { RangeList } from './ranges.ts';
import {
  PAGE_SIZE,
  type Region,
  readWritableMemory,
  readWritableRegions,
  sameLayout,
  uncovered,
} from './regions.ts';
import type { DirtyTracker, ProcessTracker } from './tracker.ts';

/**
 * Lifecycle of one guest process under replication:
 * - new: never tracked; every populated page is copied at each checkpoint until attached;
 * - fresh: attached after the last thaw; this checkpoint still copies everything (writes between
 *   the previous checkpoint and the attach were not tracked), and clears the tracker's state;
 * - tracked: only written pages are copied;
 * - untrackable: the tracker refused it (reason kept); copied in full at every checkpoint.
 */
type ProcessState = 'new' | 'fresh' | 'tracked' | 'untrackable';

interface GuestProcessEntry {
  pid: number;
  state: ProcessState;
  tracker: ProcessTracker;
  /** Layout as of the last checkpoint, and whether the backup has it. */
  regions: Region[];
  layoutSent: boolean;
  ranges: RangeList;
}

/** What the guest looked like to the replicator: for the manifest and the closing summary. */
export interface ReplicationNotes {
  attachFailures: string[];
  processesSeen: number;
  stagingBytes: number;
}

/**
 * Remus's checkpoint for a process tree: at each pause, find the pages each guest process wrote
 * (the DirtyTracker), copy them into a staging buffer (the Gatherer); after the thaw, ship the
 * epoch to the backup process and resolve when it has acknowledged it. The first checkpoint of a
 * process copies all of its populated memory.
 */
export class MemoryReplicator implements Replicator {
  readonly mechanism: string;
  private readonly processes = new Map<number, GuestProcessEntry>();
  private staging = Buffer.alloc(0);
  private readonly discard = new RangeList();
  private pendingShip: { description: EpochDescription; ranges: Float64Array; bytes: number } | null = null;
  private readonly toAttach: GuestProcessEntry[] = [];
  readonly notes: ReplicationNotes = { attachFailures: [], processesSeen: 0, stagingBytes: 0 };

  constructor(
    private readonly listProcesses: () => number[],
    private readonly tracker: DirtyTracker,
    private readonly gatherer: Gatherer,
    private readonly backup: BackupLink,
  ) {
    this.mechanism = `dirty tracking: ${tracker.kind}; copy: ${gatherer.kind}; backup: separate process over ${backup.route}, acks each epoch`;
  }

  /**
   * Before the first checkpoint: attach to the processes already there and size the staging buffer
   * for a full copy (allocated and touched now, not during a pause).
   */
  prepare(): void {
    let populated = 0;
    for (const pid of this.listProcesses()) {
      const entry = this.entry(pid);
      if (!entry) continue;
      try {
        const memory = readWritableMemory(pid);
        entry.regions = memory.regions;
        const all = new RangeList();
        const pagemap = new PagemapReader(pid, memory.fileBacked);
        pagemap.populated(entry.regions, all);
        pagemap.close();
        populated += all.bytes;
      } catch {
        // exited meanwhile
      }
      this.attach(entry);
    }
    // The first checkpoint copies every populated page; leave room for growth during warm-up.
    this.ensureStaging(Math.ceil(populated * 1.25) + 16 * 1024 * 1024);
  }

  private ensureStaging(bytes: number, keep = 0): void {
    if (this.staging.length >= bytes) return;
    // Large allocations are mapped lazily: fill() faults every page in now, not during a pause.
    const next = Buffer.allocUnsafeSlow(bytes).fill(0);
    this.staging.copy(next, 0, 0, keep);
    this.staging = next;
    this.notes.stagingBytes = bytes;
  }

  private entry(pid: number): GuestProcessEntry | null {
    let entry = this.processes.get(pid);
    if (entry) return entry;
    entry = {
      pid,
      state: 'new',
      tracker: this.tracker.forProcess(pid),
      regions: [],
      layoutSent: false,
      ranges: new RangeList(),
    };
    this.processes.set(pid, entry);
    this.notes.processesSeen++;
    return entry;
  }

  /** Starts tracking a process; must run while the guest runs (see ProcessTracker.attach). */
  private attach(entry: GuestProcessEntry): void {
    try {
      // entry.regions stays the layout of the last checkpoint (what the backup has): regions mapped
      // since then count as added at the next checkpoint.
      entry.tracker.attach(readWritableRegions(entry.pid));
      entry.state = 'fresh';
    } catch (error) {
      if (!this.processes.has(entry.pid)) return;
      entry.state = 'untrackable';
      this.notes.attachFailures.push(`process ${entry.pid}: ${(error as Error).message}`);
    }
  }

  private forget(entry: GuestProcessEntry): void {
    entry.tracker.close();
    this.processes.delete(entry.pid);
  }

  capture(_epoch: number): CaptureStats {
    const description: EpochDescription = { processes: [], gone: [] };
    const live = new Set(this.listProcesses());
    for (const entry of [...this.processes.values()]) {
      if (!live.has(entry.pid)) {
        description.gone.push(entry.pid);
        this.forget(entry);
      }
    }
    let scanMs = 0;
    let gatherMs = 0;
    let offset = 0;
    let rangeCount = 0;
    const perProcess: GuestProcessEntry[] = [];
    for (const pid of [...live].sort((a, b) => a - b)) {
      const entry = this.entry(pid);
      if (!entry) continue;
      const scanStart = monotonicMs();
      let regions: Region[];
      let pagemap: PagemapReader;
      try {
        // Opened afresh at each checkpoint: after an exec, a kept descriptor shows the dead memory.
        const memory = readWritableMemory(pid);
        regions = memory.regions;
        pagemap = new PagemapReader(pid, memory.fileBacked);
      } catch {
        continue; // exited since the listing; reported as gone next time
      }
      const delta: ProcessDelta = { pid, ranges: 0 };
      if (!entry.layoutSent || !sameLayout(regions, entry.regions)) {
        delta.layout = regions.flatMap((r) => [r.start, r.end]);
        entry.layoutSent = true;
      }
      const added = uncovered(regions, entry.regions);
      const ranges = entry.ranges;
      try {
        this.findPagesToCopy(entry, regions, added, pagemap);
      } finally {
        pagemap.close();
      }
      entry.regions = regions;
      const gatherStart = monotonicMs();
      scanMs += gatherStart - scanStart;
      this.ensureStaging(offset + ranges.bytes + 16 * 1024 * 1024, offset);
      offset += this.gatherer.gather(pid, ranges, this.staging, offset);
      gatherMs += monotonicMs() - gatherStart;
      delta.ranges = ranges.count;
      rangeCount += ranges.count;
      description.processes.push(delta);
      perProcess.push(entry);
      if (entry.state === 'new') this.toAttach.push(entry);
    }
    const table = new Float64Array(rangeCount * 2);
    let at = 0;
    for (const entry of perProcess) {
      table.set(entry.ranges.pairs(), at);
      at += entry.ranges.count * 2;
    }
    this.pendingShip = { description, ranges: table, bytes: offset };
    return {
      scanUs: Math.round(scanMs * 1000),
      gatherUs: Math.round(gatherMs * 1000),
      dirtyPages: offset / PAGE_SIZE,
      copiedBytes: offset,
      ranges: rangeCount,
      processes: perProcess.length,
    };
  }

  /** Fills entry.ranges with what this checkpoint copies from the process (see ProcessState). */
  private findPagesToCopy(
    entry: GuestProcessEntry,
    regions: Region[],
    added: Region[],
    pagemap: PagemapReader,
  ): void {
    const ranges = entry.ranges;
    ranges.clear();
    if (entry.state === 'tracked') {
      if (entry.tracker.collect(regions, added, ranges, pagemap)) return;
      // The process replaced its memory (exec): copy it all, attach again after the thaw.
      ranges.clear();
      entry.state = 'new';
    } else if (entry.state === 'fresh') {
      // Clears what the tracker saw since attach; this checkpoint copies everything anyway.
      this.discard.clear();
      entry.state = entry.tracker.collect(regions, added, this.discard, pagemap) ? 'tracked' : 'new';
    }
    pagemap.populated(regions, ranges);
  }

  async commit(epoch: number): Promise<void> {
    const ship = this.pendingShip;
    if (!ship) return;
    this.pendingShip = null;
    const acked = this.backup.ship(
      epoch,
      ship.description,
      ship.ranges,
      this.staging.subarray(0, ship.bytes),
    );
    // While the epoch streams to the backup, attach to processes that appeared (the guest runs now).
    for (const entry of this.toAttach.splice(0)) {
      if (this.processes.get(entry.pid) === entry) this.attach(entry);
    }
    await acked;
  }

  /** The ranges the last capture copied from process `pid` (for verification). */
  lastCopied(pid: number): RangeList | undefined {
    return this.processes.get(pid)?.ranges;
  }

  async close(): Promise<void> {
    for (const entry of [...this.processes.values()]) this.forget(entry);
    await this.backup.close();
  }
}

import { z } from 'zod';

/** `workloads.memory`: which program writes the guest's pages, over how much memory, how fast. */
export const memoryWorkloadSchema = z.strictObject({
  /**
   * `dirtier`: Remus's page-dirtier microbenchmark (random pages of the working set at a set rate);
   * `sysbench`: `sysbench memory` writing a block of the working set's size sequentially, as fast
   * as it can (every page dirty at every checkpoint: the worst case).
   */
  program: z.enum(['dirtier', 'sysbench'], { error: 'expected dirtier or sysbench' }),
  /** Pages the program writes, in MB. */
  workingSetMB: z.number().int().min(1).max(65_536),
  /** Pages written per millisecond; 0 writes as fast as the CPU allows. */
  dirtyPagesPerMs: z.number().int().min(0).max(100_000),
  /**
   * The page dirtier's path inside a guest that brings its own (the Xen lab's: /usr/bin/dirtier).
   * Omitted: workloads/memory/guest/dirtier.c is built on this machine and run at that path.
   */
  guestDirtier: z.string().startsWith('/', { error: 'expected an absolute path in the guest' }).optional(),
});

export type MemoryWorkloadConfig = z.infer<typeof memoryWorkloadSchema>;

/**
 * Paced by default, Remus's dirty-rate microbenchmark: 64 random pages every millisecond of a 64 MB
 * working set, and a tick that cannot start within 200 us of its time is lost, never caught up, so
 * its pages/s fall by the share of time replication takes from it (paused, or so slowed by
 * write-protect faults that a tick starts late). dirtyPagesPerMs 0 writes as fast as it can
 * (saturating): it also shows the faults' cost, but its speed drifts by up to 20 % between
 * processes and by several % within one on a shared machine (README, "Workloads").
 */
export const MEMORY_DEFAULTS: MemoryWorkloadConfig = {
  program: 'dirtier',
  workingSetMB: 64,
  dirtyPagesPerMs: 64,
};

// The Xen lab's guest carries its own static page dirtier (harness/lab/scripts/guest.ts); it has
// 160 MB with about 50 MB free and runs at about 1/11 of native speed. Paced there: a checkpoint
// of the lab's guest already takes 250-350 ms under emulation with about 580 dirty pages, and a
// saturating dirtier would add its whole working set to every one.
export const MEMORY_XEN_LAB: Partial<MemoryWorkloadConfig> = {
  guestDirtier: '/usr/bin/dirtier',
  workingSetMB: 16,
  dirtyPagesPerMs: 4,
};

/**
 * What a checkpoint does between freeze and commit. The epoch loop calls `capture` while the guest
 * is frozen (copy what the checkpoint needs into a staging buffer) and `commit` after the thaw
 * (ship to the backup, wait for its ack). Output of the epoch is released when `commit` resolves.
 * Memory replication is memory/memory-replicator.ts.
 */
/** What one capture copied, and what finding and copying it cost (recorded per checkpoint). */
export interface CaptureStats {
  /** Finding the written pages (layout read + dirty scan), µs. */
  scanUs: number;
  /** Copying them into the staging buffer, µs. */
  gatherUs: number;
  dirtyPages: number;
  copiedBytes: number;
  ranges: number;
  processes: number;
}

export interface Replicator {
  /** Recorded as the "replication" mechanism of every sample. */
  readonly mechanism: string;
  /** Runs while the guest is frozen; null when nothing is copied. */
  capture(epoch: number): CaptureStats | null;
  commit(epoch: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * No state is copied: the checkpoint commits when the pause ends. This measures the cost of the
 * pause and of output commit alone, which is what Remus costs a guest that dirties no memory.
 */
export const commitAtEndOfPause: Replicator = {
  mechanism: 'none: commit at end of pause (no memory copy)',
  capture: () => null,
  commit: async () => {},
  close: async () => {},
};

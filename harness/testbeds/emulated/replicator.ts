/**
 * What a checkpoint does between freeze and commit. The epoch loop calls `capture` while the guest
 * is frozen (copy what the checkpoint needs into a staging buffer) and `commit` after the thaw
 * (ship to the backup, wait for its ack). Output of the epoch is released when `commit` resolves.
 *
 * Memory replication (dirty tracking, copy, backup process) is a Replicator of its own (issue 4);
 * the loop does not change when it arrives.
 */
export interface Replicator {
  /** Recorded as the "replication" mechanism of every sample. */
  readonly mechanism: string;
  capture(epoch: number): void;
  commit(epoch: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * No state is copied: the checkpoint commits when the pause ends. This measures the cost of the
 * pause and of output commit alone, which is what Remus costs a guest that dirties no memory.
 */
export const commitAtEndOfPause: Replicator = {
  mechanism: 'none: commit at end of pause (no memory copy)',
  capture: () => {},
  commit: async () => {},
  close: async () => {},
};

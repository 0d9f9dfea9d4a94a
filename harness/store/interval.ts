/**
 * A protected cell's checkpoint interval: a fixed number of ms, or `adaptive` (the testbed chooses
 * each epoch's length; see the emulated testbed's adaptive policy). Stored on every sample as
 * `intervalMs`; null there is the unreplicated baseline.
 */
export type CheckpointInterval = number | 'adaptive';

export const ADAPTIVE = 'adaptive' as const;

/** Sort key: baseline first, fixed intervals by length, adaptive last. */
export function intervalRank(interval: CheckpointInterval | null): number {
  if (interval === null) return -1;
  return interval === ADAPTIVE ? Number.POSITIVE_INFINITY : interval;
}

export function compareIntervals(a: CheckpointInterval | null, b: CheckpointInterval | null): number {
  const ra = intervalRank(a);
  const rb = intervalRank(b);
  return ra === rb ? 0 : ra < rb ? -1 : 1;
}

/** The interval in a cell id (`25ms`, `adaptive`, `baseline`). */
export function intervalKey(interval: CheckpointInterval | null): string {
  if (interval === null) return 'baseline';
  return interval === ADAPTIVE ? ADAPTIVE : `${interval}ms`;
}

/** For people: `25 ms`, `adaptive`, `baseline`. */
export function intervalLabel(interval: CheckpointInterval | null): string {
  if (interval === null) return 'baseline';
  return interval === ADAPTIVE ? ADAPTIVE : `${interval} ms`;
}

/** A fixed interval in ms, or null (baseline, adaptive). */
export function fixedMs(interval: CheckpointInterval | null): number | null {
  return typeof interval === 'number' ? interval : null;
}

/**
 * Adaptive checkpointing: the length of each epoch follows what the guest did in the last one.
 * Adaptive Remus (the study authors' follow-up) "dynamically adjusts the replication frequency
 * according to the characteristics of running applications": longer intervals favour processing,
 * shorter ones communication. This policy reads communication as output held for the commit:
 * an epoch that held output halves the next one (replies wait less), an epoch that held none
 * doubles it (fewer pauses for a guest that only computes), within [minMs, maxMs].
 */
export interface AdaptivePolicy {
  minMs: number;
  maxMs: number;
  /** The first epoch's length. */
  initialMs: number;
}

/** The policy and its bounds as the manifest records them (cells with the interval `adaptive`). */
export function adaptiveScheduleText(policy: AdaptivePolicy): string {
  return `the "adaptive" interval: first epoch ${policy.initialMs} ms; next = last / 2 when it held output, x 2 when it held none, within [${policy.minMs}, ${policy.maxMs}] ms; each checkpoint records its epoch's length (epochMs)`;
}

/** The next epoch's length after one of `currentMs` that held `heldBytes` of output. Pure. */
export function nextEpochMs(policy: AdaptivePolicy, currentMs: number, heldBytes: number): number {
  const next = heldBytes > 0 ? currentMs / 2 : currentMs * 2;
  return Math.min(policy.maxMs, Math.max(policy.minMs, next));
}

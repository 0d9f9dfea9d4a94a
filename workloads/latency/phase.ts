import type { CheckpointRecord } from '../../harness/testbeds/types.ts';
import { median, percentile } from '../../harness/util/order-stats.ts';
import type { RequestTimes } from './paced-client.ts';

/**
 * Where each request fell in the checkpoint epoch, and what the mechanism predicts for it: a
 * request sent during epoch k is answered in epoch k and its reply is released when checkpoint
 * k + 1 commits, so its RTT should be (commit of the first checkpoint that starts after the send)
 * minus the send time. All times are monotonicMs of this host.
 */
export interface PhaseRow {
  seq: number;
  /** Position of the send in its epoch, 0..1. */
  phase: number;
  /** Predicted and measured RTT from the actual send, ms; measured is NaN when lost. */
  predictedMs: number;
  measuredMs: number;
}

export interface PhaseSummary {
  rows: PhaseRow[];
  /** |measured - predicted| over answered requests, µs. */
  errorUs: { p50: number; p99: number };
  /** Fraction of answered requests within 1 ms of the prediction. */
  withinOneMs: number;
  /** Median RTT by phase decile (0-10 %, ..., 90-100 %), ms: RTT falls as the phase grows. */
  medianByDecile: number[];
}

/** First index whose value is greater than `x` (values sorted ascending). */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function phaseAnalysis(
  times: RequestTimes,
  measureStartMs: number,
  checkpoints: readonly CheckpointRecord[],
  intervalMs: number,
): PhaseSummary {
  const starts = checkpoints.map((c) => c.startMonoMs);
  const rows: PhaseRow[] = [];
  for (let seq = 0; seq < times.sent.length; seq++) {
    const sent = times.sent[seq] as number;
    if (Number.isNaN(sent) || (times.intended[seq] as number) < measureStartMs) continue;
    const next = upperBound(starts, sent);
    if (next === 0 || next >= checkpoints.length) continue; // before the first or after the last checkpoint
    const previousStart = starts[next - 1] as number;
    rows.push({
      seq,
      phase: Math.min(1, (sent - previousStart) / intervalMs),
      predictedMs: (checkpoints[next] as CheckpointRecord).commitMonoMs - sent,
      measuredMs: (times.received[seq] as number) - sent,
    });
  }
  const answered = rows.filter((r) => !Number.isNaN(r.measuredMs));
  const errors = answered.map((r) => Math.abs(r.measuredMs - r.predictedMs) * 1000);
  const medianByDecile = Array.from({ length: 10 }, (_, d) =>
    median(answered.filter((r) => Math.min(9, Math.floor(r.phase * 10)) === d).map((r) => r.measuredMs)),
  );
  return {
    rows,
    errorUs: { p50: percentile(errors, 50), p99: percentile(errors, 99) },
    withinOneMs: answered.length ? errors.filter((e) => e <= 1000).length / answered.length : Number.NaN,
    medianByDecile,
  };
}

import type { TestbedSemantics } from '../harness/store/testbed-facts.ts';
import type { CheckpointCell, LatencyCell, LatencyModel, LatencyModelPoint } from './types.ts';

/**
 * What the protection mechanism predicts for the latency workload's RTT at each fixed interval, from
 * the run's own baseline and checkpoint figures, beside what was measured.
 *
 * Output held until the checkpoint commits: a reply waits for the next checkpoint to start (a
 * request lands at a uniformly random place in the epoch, so the wait's q-quantile is q x the
 * interval), then for that checkpoint's pause and commit. Predicted q-quantile: baseline p50 +
 * q x interval + pause p50 + commit p50 (commit: ship + ack where memory is replicated, else 0).
 *
 * Output not held: only a request that lands in a pause waits, for the rest of it. With f = pause /
 * interval, quantiles below 1 - f are the baseline's own; above, baseline p50 + pause x (q - (1 -
 * f)) / f.
 */

/** A cell's per-trial percentile p, averaged over trials. */
const percentileOf = (cell: LatencyCell, p: number) => cell.percentiles.find((x) => x.percentile === p);

/** q-quantile of the extra wait, µs, for an interval, a pause and a commit (µs). */
export function predictedWaitUs(
  q: number,
  intervalUs: number,
  pauseUs: number,
  commitUs: number,
  outputHeld: boolean,
): number {
  if (outputHeld) return q * intervalUs + pauseUs + commitUs;
  const inPause = Math.min(1, pauseUs / intervalUs);
  if (inPause <= 0 || q <= 1 - inPause) return 0;
  return (pauseUs * (q - (1 - inPause))) / inPause;
}

/** Null without a baseline latency cell, a known output semantics, or a fixed protected cell. */
export function latencyModel(
  latency: readonly LatencyCell[],
  checkpoints: readonly CheckpointCell[],
  semantics: TestbedSemantics | null,
): LatencyModel | null {
  const baselineCell = latency.find((c) => c.intervalMs === null);
  const base50 = baselineCell && percentileOf(baselineCell, 50);
  const base99 = baselineCell && percentileOf(baselineCell, 99);
  if (!semantics || !base50 || !base99) return null;
  const points: LatencyModelPoint[] = [];
  let pauseMeasured = true;
  for (const cell of latency) {
    if (typeof cell.intervalMs !== 'number') continue; // baseline, and adaptive epochs of no one length
    const m50 = percentileOf(cell, 50);
    const m99 = percentileOf(cell, 99);
    const checkpoint = checkpoints.find((c) => c.cellId === cell.cellId);
    if (!m50 || !m99 || !checkpoint) continue;
    const pauseUs = Number.isFinite(checkpoint.pauseP50Us) ? checkpoint.pauseP50Us : 0;
    if (!Number.isFinite(checkpoint.pauseP50Us)) pauseMeasured = false;
    const commitUs = Number.isFinite(checkpoint.shipAckP50Us) ? checkpoint.shipAckP50Us : 0;
    const intervalUs = cell.intervalMs * 1000;
    const predict = (q: number, ownBaseline: number) => {
      const wait = predictedWaitUs(q, intervalUs, pauseUs, commitUs, semantics.outputHeld);
      return wait === 0 ? ownBaseline : base50.mean + wait;
    };
    points.push({
      intervalMs: cell.intervalMs,
      measured: {
        p50: m50.mean,
        p99: m99.mean,
        p50Low: m50.low,
        p50High: m50.high,
        p99Low: m99.low,
        p99High: m99.high,
      },
      predicted: { p50: predict(0.5, base50.mean), p99: predict(0.99, base99.mean) },
    });
  }
  if (points.length === 0) return null;
  points.sort((a, b) => a.intervalMs - b.intervalMs);
  return {
    outputHeld: semantics.outputHeld,
    pauseMeasured,
    baseline: { p50: base50.mean, p99: base99.mean },
    points,
  };
}

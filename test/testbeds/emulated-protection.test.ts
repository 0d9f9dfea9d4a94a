import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { percentile } from '../../analysis/stats.ts';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import { latencyWorkload } from '../../workloads/latency/index.ts';
import { leftoverCgroups, leftoverGuestProcesses } from '../helpers/cli.ts';
import { requireTools } from '../helpers/tools.ts';
import { runWorkloadTrial } from '../helpers/workload-trial.ts';

const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
afterAll(() => testbed.dispose());

/** Each measured request's RTT as predicted by the mechanism and as measured (requests.csv), µs. */
function requestRtts(phaseDir: string): RequestRtt[] {
  const [header, ...rows] = readFileSync(join(phaseDir, 'requests.csv'), 'utf8').trim().split('\n');
  const columns = (header ?? '').split(',');
  const sent = columns.indexOf('sent_ms');
  const received = columns.indexOf('received_ms');
  const predicted = columns.indexOf('predicted_rtt_ms');
  return rows
    .map((row) => row.split(','))
    .filter((cells) => cells[predicted] && cells[received])
    .map((cells) => ({
      predictedUs: Number(cells[predicted]) * 1000,
      measuredUs: (Number(cells[received]) - Number(cells[sent])) * 1000,
    }));
}

type RequestRtt = { predictedUs: number; measuredUs: number };

/**
 * Output commit, per request: a reply is never released before the commit the mechanism predicts
 * for it (2 ms of room for the clocks of two processes), and it mostly comes with that commit rather
 * than a later one: nearer to it than to the next (half an interval). A loaded machine delays the
 * client's read by a few ms, or a reply misses its commit and waits one interval more; neither
 * releases anything early.
 */
function outputCommit(rtts: RequestRtt[], intervalMs: number): { early: number; withPredicted: number } {
  const diffs = rtts.map((r) => r.measuredUs - r.predictedUs);
  return {
    early: diffs.filter((d) => d < -2_000).length / diffs.length,
    withPredicted: diffs.filter((d) => Math.abs(d) < (intervalMs * 1000) / 2).length / diffs.length,
  };
}

/** One latency trial of `seconds` on a fresh guest, protected at `intervalMs` or not. */
async function latencyTrial(
  intervalMs: number | null,
  seconds: number,
  transport: 'tcp' | 'udp' = 'tcp',
  echoServer: 'node' | 'socat' = 'node',
) {
  const module = latencyWorkload.configure({
    ratePerS: 211,
    payloadBytes: 32,
    timeoutMs: 2000,
    transport,
    closedLoopS: 1,
    echoServer,
  });
  await requireTools(module.requiredTools);
  const run = await runWorkloadTrial(testbed, module, intervalMs, {
    label: 'protection-test',
    warmupS: 0.2,
    durationS: seconds,
  });
  const { report, metrics } = run;
  const extra = run.measurements.filter((m) => m.metric.startsWith('model_'));
  expect(extra.map((m) => m.metric)).toEqual(report ? ['model_error_p50_us', 'model_within_1ms'] : []);
  const rtts = report ? requestRtts(run.artifactsDir) : [];
  return {
    p50: metrics.rtt_p50_us as number,
    p90: metrics.rtt_p90_us as number,
    lost: metrics.lost as number,
    report,
    rtts,
  };
}

describe('emulated testbed protection (real guest, real echo server, real client)', () => {
  it('delays replies to the next commit: median RTT rises by about T/2, at the configured rate', async () => {
    const baseline = await latencyTrial(null, 2);
    const protectedRun = await latencyTrial(50, 3);
    expect(baseline.lost).toBe(0);
    expect(protectedRun.lost).toBe(0);
    // A request arrives at a uniformly random phase of the 50 ms epoch and its reply waits for the
    // next commit: on average T/2 = 25 ms more. Load on the machine only lengthens the wait, so the
    // lower bound holds on any machine.
    expect(baseline.p50).toBeLessThan(5_000);
    expect(protectedRun.p50 - baseline.p50).toBeGreaterThan(15_000);
    // Upper bounds come from the commits this run measured, not from the nominal epoch: a loaded
    // machine commits late, and every reply then waits for that late commit. The mechanism predicts
    // each request's RTT (the commit of the first checkpoint after its send, minus the send); the
    // measured quantiles may exceed the predicted ones by the unprotected path's own RTT plus room
    // for a reply that misses its commit by a scheduling hiccup.
    const predicted = protectedRun.rtts.map((r) => r.predictedUs);
    const predictedP50 = percentile(predicted, 50);
    const predictedP90 = percentile(predicted, 90);
    expect(predicted.length).toBeGreaterThan(300);
    expect(protectedRun.p50).toBeLessThan(predictedP50 + baseline.p90 + 10_000);
    expect(protectedRun.p90).toBeLessThan(predictedP90 + baseline.p90 + 20_000);
    const summary = protectedRun.report?.summary;
    expect(summary?.configuredRateHz).toBe(20);
    // The schedule is absolute (boundary k at k * 50 ms): each checkpoint takes its own boundary, and
    // every boundary up to the last checkpoint's was either checkpointed or counted as missed (late by
    // more than one interval). Counted on the records, not on the wall clock: a slow first copy under
    // load is followed by catch-up checkpoints, which the time since the first commit would not allow.
    const scheduled = (protectedRun.report?.checkpoints ?? []).map((c) => c.scheduledMs / 50);
    expect(scheduled.every((b) => Math.abs(b - Math.round(b)) < 1e-6)).toBe(true);
    const boundaries = scheduled.map(Math.round);
    expect(boundaries.every((b, i) => i === 0 || b > (boundaries[i - 1] ?? b))).toBe(true);
    const lastBoundary = boundaries.at(-1) ?? 0;
    expect(summary?.checkpoints).toBe(boundaries.length);
    expect(summary?.checkpoints ?? 0).toBeLessThanOrEqual(lastBoundary);
    expect((summary?.checkpoints ?? 0) + (summary?.missedEpochs ?? 0)).toBeGreaterThanOrEqual(lastBoundary);
    expect(lastBoundary * 50).toBeGreaterThan(2_500);
    expect(summary?.releasedBytes).toBeGreaterThan(0);
    expect(protectedRun.report?.checkpoints.every((c) => c.pauseUs >= c.freezeUs)).toBe(true);
    // Per request, the reply arrives when the first checkpoint after its send commits (under three
    // CPU hogs on 2 cores: 0 early, 97 % with it).
    const commit = outputCommit(protectedRun.rtts, 50);
    expect(commit.early).toBeLessThan(0.01);
    expect(commit.withPredicted).toBeGreaterThan(0.85);
  });

  it('carries UDP through the same output-commit path', async () => {
    const udp = await latencyTrial(25, 1, 'udp');
    expect(udp.lost).toBe(0);
    expect(udp.p50).toBeGreaterThan(8_000);
    expect(outputCommit(udp.rtts, 25).early).toBeLessThan(0.01);
    expect(outputCommit(udp.rtts, 25).withPredicted).toBeGreaterThan(0.85);
  });

  it('works the same with socat as the echo server in the guest (the Xen lab guest has no node)', async () => {
    const socat = await latencyTrial(25, 1, 'tcp', 'socat');
    expect(socat.lost).toBe(0);
    expect(socat.p50).toBeGreaterThan(8_000);
    expect(outputCommit(socat.rtts, 25).early).toBeLessThan(0.01);
    expect(outputCommit(socat.rtts, 25).withPredicted).toBeGreaterThan(0.85);
  });

  it('leaves no guest process, controller or cgroup behind', () => {
    expect(leftoverGuestProcesses('protection-test')).toEqual([]);
    expect(leftoverCgroups(process.pid)).toEqual([]);
  });
});

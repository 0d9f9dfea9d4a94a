import { setImmediate as nextTurn } from 'node:timers/promises';
import { percentile } from '../../util/order-stats.ts';
import { monotonicMs, waitUntil } from '../../util/precise-wait.ts';
import type { CheckpointRecord, CheckpointSummary, ProtectionReport } from '../types.ts';
import { type AdaptivePolicy, nextEpochMs } from './adaptive-policy.ts';
import type { Freezer } from './freezer.ts';
import type { OutputCommitProxy } from './output-proxy.ts';
import type { Replicator } from './replicator.ts';

const micros = (ms: number) => Math.round(ms * 1000);

/** Fixed epochs of `intervalMs`, or epochs whose length the adaptive policy picks one by one. */
export type EpochSchedule =
  | { kind: 'fixed'; intervalMs: number }
  | { kind: 'adaptive'; policy: AdaptivePolicy };

/**
 * The epoch loop of one protection: at every boundary of an absolute schedule t0 + k * interval
 * (Remus's paper semantics; `xl remus -i` instead waits the interval after each checkpoint), freeze
 * the guest, seal its output, capture the checkpoint, thaw, commit, release the output. Under the
 * adaptive schedule each boundary is the last checkpoint's start plus the length the policy chose
 * from the output that epoch held.
 */
export class Checkpointer {
  private readonly records: CheckpointRecord[] = [];
  /** Aborted by stop(): a pending wait for the next epoch boundary returns at once. */
  private readonly stopped = new AbortController();
  private stopping = false;
  private missedEpochs = 0;
  private startedAt = 0;
  private stoppedAt = 0;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly freezer: Freezer,
    private readonly proxy: OutputCommitProxy,
    private readonly replicator: Replicator,
    private readonly schedule: EpochSchedule,
  ) {}

  /** The fixed interval, or the adaptive policy's first epoch. */
  private get intervalMs(): number {
    return this.schedule.kind === 'fixed' ? this.schedule.intervalMs : this.schedule.policy.initialMs;
  }

  /** Starts the loop; resolves once the first checkpoint has committed. */
  start(): Promise<void> {
    let firstCommit!: () => void;
    let failed!: (error: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      firstCommit = resolve;
      failed = reject;
    });
    this.proxy.hold();
    this.startedAt = monotonicMs();
    this.loop = this.run(firstCommit).catch((error) => {
      // Never leave the guest frozen when the loop dies.
      try {
        this.freezer.thaw();
      } catch {
        // nothing more to do here; the session's stop() thaws through the cgroup as well
      }
      this.proxy.passThrough();
      failed(error);
      throw error;
    });
    this.loop.catch(() => {});
    return committed;
  }

  private async run(onFirstCommit: () => void): Promise<void> {
    let epoch = 0;
    let boundary = 0;
    const adaptive = this.schedule.kind === 'adaptive' ? this.schedule.policy : null;
    let epochMs = this.intervalMs;
    let lastStart = this.startedAt;
    while (!this.stopping) {
      boundary++;
      let target = adaptive ? lastStart + epochMs : this.startedAt + boundary * this.intervalMs;
      const now = monotonicMs();
      if (!adaptive && now > target + this.intervalMs) {
        // More than one interval late: skip the boundaries that passed, and say so in the stats.
        const skip = Math.floor((now - target) / this.intervalMs);
        this.missedEpochs += skip;
        boundary += skip;
        target = this.startedAt + boundary * this.intervalMs;
      }
      await waitUntil(target, this.stopped.signal);
      if (this.stopping) break;
      epoch++;
      const begin = monotonicMs();
      this.freezer.freeze();
      const frozen = monotonicMs();
      // One event-loop turn while frozen: the proxy reads any output the guest wrote before the
      // freeze that is still in the socket buffers, so it is sealed into this epoch.
      await nextTurn();
      this.proxy.seal(epoch);
      const captureStart = monotonicMs();
      const copied = this.replicator.capture(epoch);
      const captured = monotonicMs();
      this.freezer.thaw();
      const thawed = monotonicMs();
      await this.replicator.commit(epoch);
      const releasedBytes = this.proxy.release(epoch);
      const committed = monotonicMs();
      this.records.push({
        epoch,
        startMonoMs: Number(begin.toFixed(3)),
        commitMonoMs: Number(committed.toFixed(3)),
        scheduledMs: Number((target - this.startedAt).toFixed(3)),
        phaseErrorUs: micros(begin - target),
        freezeUs: micros(frozen - begin),
        captureUs: micros(captured - captureStart),
        thawUs: micros(thawed - captured),
        pauseUs: micros(thawed - begin),
        commitUs: micros(committed - thawed),
        releasedBytes,
        ...(adaptive ? { epochMs } : {}),
        ...(copied ?? {}),
      });
      if (adaptive) {
        lastStart = begin;
        epochMs = nextEpochMs(adaptive, epochMs, releasedBytes);
      }
      if (epoch === 1) onFirstCommit();
    }
  }

  /** Stops after the checkpoint in progress, releases held output, and reports. */
  async stop(): Promise<ProtectionReport> {
    this.stopping = true;
    this.stopped.abort();
    try {
      await this.loop;
    } finally {
      this.stoppedAt = monotonicMs();
      this.proxy.passThrough();
    }
    return { summary: this.summary(), checkpoints: this.records };
  }

  summary(): CheckpointSummary {
    const series = (key: 'freezeUs' | 'phaseErrorUs') => this.records.map((r) => r[key]);
    const spread = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
    // The first checkpoint copies everything: the steady state is what follows it.
    const steady = this.records.length > 1 ? this.records.slice(1) : this.records;
    const replicated = this.records.some((r) => r.copiedBytes !== undefined);
    // With memory replication the first checkpoint is the initial full copy (Remus does it live,
    // before protection starts); pause and rate describe the steady state after it.
    const measured = replicated ? steady : this.records;
    const pauses = measured.map((r) => r.pauseUs);
    const from = replicated && this.records[0] ? this.records[0].commitMonoMs : this.startedAt;
    const protectedSeconds = ((this.stoppedAt || monotonicMs()) - from) / 1000;
    // With replication: checkpoints per second between the first and the last steady checkpoint
    // (the window after the initial copy has no whole number of intervals at its start).
    const first = steady[0];
    const last = steady.at(-1);
    const effectiveRate =
      replicated && first && last && steady.length >= 2 && last.startMonoMs > first.startMonoMs
        ? ((steady.length - 1) * 1000) / (last.startMonoMs - first.startMonoMs)
        : measured.length / protectedSeconds;
    const epochs = this.records.flatMap((r) => (r.epochMs === undefined ? [] : [r.epochMs]));
    const intervalMs =
      this.schedule.kind === 'adaptive' && epochs.length ? percentile(epochs, 50) : this.intervalMs;
    return {
      intervalMs,
      ...(this.schedule.kind === 'adaptive'
        ? {
            adaptive: {
              policy: this.schedule.policy,
              epochMs: { p50: intervalMs, min: Math.min(...epochs), max: Math.max(...epochs) },
              shortened: epochs.filter((ms, i) => i > 0 && ms < (epochs[i - 1] as number)).length,
              lengthened: epochs.filter((ms, i) => i > 0 && ms > (epochs[i - 1] as number)).length,
            },
          }
        : {}),
      checkpoints: this.records.length,
      missedEpochs: this.missedEpochs,
      protectedSeconds: Number(protectedSeconds.toFixed(3)),
      configuredRateHz: 1000 / intervalMs,
      effectiveRateHz: Number(effectiveRate.toFixed(3)),
      pauseUs: { p50: percentile(pauses, 50), p99: percentile(pauses, 99), max: Math.max(0, ...pauses) },
      freezeUs: { p50: percentile(series('freezeUs'), 50), p99: percentile(series('freezeUs'), 99) },
      phaseErrorUs: {
        p50: percentile(series('phaseErrorUs'), 50),
        p99: percentile(series('phaseErrorUs'), 99),
      },
      releasedBytes: this.records.reduce((sum, r) => sum + r.releasedBytes, 0),
      ...(replicated
        ? {
            memory: {
              scanUs: spread(steady.map((r) => r.scanUs ?? 0)),
              gatherUs: spread(steady.map((r) => r.gatherUs ?? 0)),
              dirtyPages: spread(steady.map((r) => r.dirtyPages ?? 0)),
              shipAckUs: spread(steady.map((r) => r.commitUs)),
              firstCopyBytes: this.records[0]?.copiedBytes ?? 0,
              firstPauseUs: this.records[0]?.pauseUs ?? 0,
              copiedBytes: this.records.reduce((sum, r) => sum + (r.copiedBytes ?? 0), 0),
            },
          }
        : {}),
    };
  }
}

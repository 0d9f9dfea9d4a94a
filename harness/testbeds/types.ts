import type { CheckpointInterval } from '../store/interval.ts';
/**
 * What a testbed gives the run loop and the workloads: a guest to run programs in, its endpoints,
 * and a protection with its checkpoint report. The testbed itself is in testbed.ts.
 */

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A program running inside the guest. */
export interface GuestProcess {
  readonly pid: number;
  /** Resolves with the first stdout line that matches, e.g. a server printing its port. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  kill(): Promise<void>;
}

export type Transport = 'tcp' | 'udp';

/** An endpoint a client outside the guest connects to. */
export interface Endpoint {
  host: string;
  port: number;
  /**
   * A network namespace of this machine (`ip netns`) the client must run in to reach the endpoint
   * (the Xen lab's guest segment); absent: reachable from the harness's own namespace.
   */
  netns?: string;
}

/** Where workload servers and in-guest programs run. */
export interface Guest {
  /** Address in-guest servers bind to. */
  readonly bindAddress: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  spawn(argv: readonly string[]): GuestProcess;
  /**
   * The endpoint outside clients use to reach `port` of an in-guest server. Traffic through it
   * crosses the testbed's output-commit path (held until the checkpoint commits when protected).
   */
  endpoint(port: number, transport?: Transport): Promise<Endpoint>;
}

/** Per-checkpoint facts measured by the protection. */
export interface CheckpointRecord {
  epoch: number;
  /** When the checkpoint began (freeze) and committed, in ms of this host's CLOCK_MONOTONIC
   * (harness/util/precise-wait.ts monotonicMs), comparable with the clients' timestamps. */
  startMonoMs: number;
  commitMonoMs: number;
  /** ms since protection started at which this checkpoint was scheduled. */
  scheduledMs: number;
  /** How late the checkpoint started against its schedule, µs (negative: early). */
  phaseErrorUs: number;
  freezeUs: number;
  /** Time spent capturing state while frozen (memory replication slots in here), µs. */
  captureUs: number;
  thawUs: number;
  /** Guest-visible pause: freeze start to thaw end, µs. */
  pauseUs: number;
  /** From the end of the pause until the checkpoint was committed and output released, µs. */
  commitUs: number;
  /** Guest output bytes released by this commit. */
  releasedBytes: number;
  /** With memory replication (commitUs is then ship + ack): parts of the capture, and its size. */
  scanUs?: number;
  gatherUs?: number;
  dirtyPages?: number;
  copiedBytes?: number;
  ranges?: number;
  processes?: number;
  /** Under the adaptive schedule: the length the policy chose for the epoch this checkpoint ended, ms. */
  epochMs?: number;
}

/** p50 and p99 of a per-checkpoint series. */
export interface Spread {
  p50: number;
  p99: number;
}

export interface CheckpointSummary {
  /** The fixed interval; under the adaptive schedule the median epoch length it chose. */
  intervalMs: number;
  /** Under the adaptive schedule: its policy, the epoch lengths it chose, how often it changed them. */
  adaptive?: {
    policy: { minMs: number; maxMs: number; initialMs: number };
    epochMs: { p50: number; min: number; max: number };
    shortened: number;
    lengthened: number;
  };
  checkpoints: number;
  /** Epoch boundaries skipped because the controller was late by more than one interval. */
  missedEpochs: number;
  protectedSeconds: number;
  configuredRateHz: number;
  /** With memory replication: checkpoints after the first (a full copy) over the time since it committed. */
  effectiveRateHz: number;
  /** With memory replication, over the checkpoints after the first (see memory.firstPauseUs). */
  pauseUs: { p50: number; p99: number; max: number };
  freezeUs: { p50: number; p99: number };
  phaseErrorUs: { p50: number; p99: number };
  releasedBytes: number;
  /** Xen testbed only. */
  remus?: RemusFacts;
  /** With memory replication, over the checkpoints after the first (which copies everything). */
  memory?: {
    scanUs: Spread;
    gatherUs: Spread;
    dirtyPages: Spread;
    shipAckUs: Spread;
    firstCopyBytes: number;
    /** The first checkpoint's pause: the full copy, left out of pauseUs. */
    firstPauseUs: number;
    copiedBytes: number;
  };
}

/** Xen testbed: what `xl remus` reported, how it ended, what cleanup did, and the harness's SSH time. */
export interface RemusFacts {
  /** Flags beyond -i (e.g. -F -n), also recorded as a mechanism on every sample. */
  flags: string;
  /** `stopped-by-harness`, or why xl remus ended by itself (xen/xl-output.ts RemusEnd). */
  end: string;
  /** What stopping did: destroyed copies, resumed guests. */
  cleanup: string[];
  /** Pages per epoch from `Checkpointed save` lines. */
  dirtyPages: Spread;
  /** Wall time the harness spent over SSH: starting Remus until the first checkpoint, and stopping. */
  harnessMs: { start: number; stop: number };
}

export interface ProtectionReport {
  summary: CheckpointSummary;
  checkpoints: CheckpointRecord[];
  /** With memory replication: mechanisms, processes seen, processes that could not be tracked. */
  replication?: {
    mechanism: string;
    attachFailures: string[];
    processesSeen: number;
    stagingBytes: number;
  };
}

/** A running replication of the guest; resolves from `protect` after the first checkpoint committed. */
export interface Protection {
  stop(): Promise<ProtectionReport>;
}

/** One guest's life in one trial: start, optionally protect, stop (always). */
export interface GuestSession {
  readonly guest: Guest;
  /** A fixed interval in ms, or `adaptive` where the testbed offers it (see TestbedDefinition). */
  protect(interval: CheckpointInterval): Promise<Protection>;
  /** Idempotent: stops protection, the guest's processes and the backup; safe after any failure. */
  stop(): Promise<void>;
}

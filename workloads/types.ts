import type { RequiredTool } from '../harness/setup/system-packages.ts';
import type { Better } from '../harness/store/samples.ts';
import type { Guest, Protection, ProtectionReport } from '../harness/testbeds/types.ts';

/** A metric a workload reports, with the direction that is better. */
export interface MetricSpec {
  name: string;
  unit: string;
  better: Better;
  /** Shown in the console summary (the others are stored and analysed, not printed). */
  headline?: boolean;
  label?: string;
}

export interface Measurement {
  metric: string;
  value: number;
}

export interface TrialContext {
  guest: Guest;
  warmupS: number;
  durationS: number;
  /** Aborted on Ctrl-C: stop measuring, reject with InterruptedError. */
  signal: AbortSignal;
  /** Folder for this trial's raw artifacts (histograms, per-request logs). */
  artifactsDir: string;
  /** The running protection, or null for the baseline. */
  protection: Protection | null;
}

export interface TrialResult {
  measurements: Measurement[];
  /** Artifact files written, relative to the artifacts folder. */
  artifacts: string[];
}

/** One workload: a server or program in the guest and, for network workloads, a client outside it. */
export interface Workload {
  readonly name: string;
  readonly metrics: readonly MetricSpec[];
  /** Starts what must run in the guest before protection starts (servers). */
  prepare(guest: Guest, signal: AbortSignal): Promise<void>;
  /** Warm-up, then one measurement. */
  trial(context: TrialContext): Promise<TrialResult>;
  /**
   * Optional: called with the protection's report (checkpoint times) after protection stopped,
   * for metrics that relate the workload's own timeline to the checkpoints.
   */
  afterProtection?(report: ProtectionReport, artifactsDir: string): Measurement[];
  /** Stops what prepare started; must be safe after a failed prepare. */
  teardown(): Promise<void>;
}

/** How a workload is registered: its tools (for set-up) and a factory for one trial's instance. */
export interface WorkloadModule {
  readonly name: string;
  readonly description: string;
  readonly metrics: readonly MetricSpec[];
  readonly requiredTools: readonly RequiredTool[];
  create(): Workload;
}

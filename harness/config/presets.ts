import type { Config, MatrixConfig } from './schema.ts';

/**
 * `quick`: a few minutes on a 2-core machine; the baseline and two intervals, the CPU and latency
 * workloads, 3 short trials per cell.
 */
export const QUICK_MATRIX: MatrixConfig = {
  baseline: true,
  intervals: [25, 100],
  workloads: ['cpu', 'latency'],
  trials: 3,
  durationS: 5,
  warmupS: 1,
  seed: 1,
};

/**
 * `full`: the study's matrix: baseline + 25..400 ms (40 to 2.5 checkpoints/s; xl's default is
 * 200 ms), all four workloads, 5 trials per cell.
 */
export const FULL_MATRIX: MatrixConfig = {
  baseline: true,
  intervals: [25, 50, 100, 200, 400],
  workloads: ['cpu', 'memory', 'latency', 'http'],
  trials: 5,
  durationS: 20,
  warmupS: 3,
  seed: 1,
};

export const MATRIX_PRESETS: Record<string, MatrixConfig> = { quick: QUICK_MATRIX, full: FULL_MATRIX };

export const DEFAULT_CONFIG: Config = {
  matrix: QUICK_MATRIX,
  testbed: { kind: 'emulated', emulated: { freezer: 'auto', priority: 'auto', tracking: 'auto' } },
  workloads: {
    cpu: { threads: 1, maxPrime: 10_000 },
    // 211 requests/s: about 1000 RTT samples in a 5 s trial, and a period (4.74 ms) that divides no
    // checkpoint interval of the presets, so send times fall at every phase of the epoch.
    latency: { ratePerS: 211, payloadBytes: 32, timeoutMs: 2000, transport: 'tcp', closedLoopS: 2 },
    memory: { program: 'dirtier', workingSetMB: 64, dirtyPagesPerMs: 64 },
    http: { connections: 10, bodyBytes: 64, timeoutS: 10 },
  },
  retries: 1,
  minFreeMB: 64,
  results: 'results',
};

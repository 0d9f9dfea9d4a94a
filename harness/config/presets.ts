import type { Config, MatrixConfig, TestbedName } from './schema.ts';

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

/**
 * Defaults that differ per testbed, applied under the user's layers: the Xen lab's guest has no node,
 * so its echo server is socat, its HTTP server busybox httpd, and it carries its own static page dirtier (harness/lab/scripts/guest.sh),
 * sized for its 160 MB.
 */
export const TESTBED_DEFAULTS: Partial<Record<TestbedName, Record<string, unknown>>> = {
  'xen-lab': {
    testbed: { xenLab: { networkBuffering: true } },
    workloads: {
      // 211 req/s already queue in the emulated guest (baseline RTT p50 11.6 ms against 5.4 ms at
      // 53 req/s, measured in the lab); 53 req/s (period 18.9 ms) divides no preset interval either.
      // A closed-loop round trip under buffered Remus takes about one real checkpoint period (0.5-1 s
      // under emulation): 8 s gives it about ten samples.
      latency: { echoServer: 'socat', ratePerS: 53, closedLoopS: 8 },
      http: { server: 'busybox' },
      // The guest has 160 MB with about 50 MB free and runs at about 1/11 of native speed.
      memory: { guestDirtier: '/usr/bin/dirtier', workingSetMB: 16, dirtyPagesPerMs: 4 },
    },
  },
};

export const DEFAULT_CONFIG: Config = {
  matrix: QUICK_MATRIX,
  testbed: { kind: 'emulated', emulated: { freezer: 'auto', priority: 'auto', tracking: 'auto' } },
  workloads: {
    cpu: { threads: 1, maxPrime: 10_000 },
    // 211 requests/s: about 1000 RTT samples in a 5 s trial, and a period (4.74 ms) that divides no
    // checkpoint interval of the presets, so send times fall at every phase of the epoch.
    latency: {
      ratePerS: 211,
      payloadBytes: 32,
      timeoutMs: 2000,
      transport: 'tcp',
      closedLoopS: 2,
      echoServer: 'node',
    },
    memory: { program: 'dirtier', workingSetMB: 64, dirtyPagesPerMs: 64 },
    http: { connections: 10, bodyBytes: 64, timeoutS: 10, server: 'node' },
  },
  retries: 1,
  minFreeMB: 64,
  results: 'results',
};

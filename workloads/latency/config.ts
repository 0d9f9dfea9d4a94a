import { z } from 'zod';

/** `workloads.latency`: the paced client, the ping-pong and the guest's echo server. */
export const latencyWorkloadSchema = z.strictObject({
  /** Requests per second of the paced (open-loop) client. */
  ratePerS: z.number().min(1).max(20_000),
  /** Bytes per request and per echo. */
  payloadBytes: z.number().int().min(16).max(65_536),
  /** A reply later than this after the end of the measurement counts as lost. */
  timeoutMs: z.number().int().min(10).max(60_000),
  transport: z.enum(['tcp', 'udp'], { error: 'expected tcp or udp' }),
  /** Seconds of closed-loop ping-pong after the open-loop measurement (0: none). */
  closedLoopS: z.number().min(0).max(600),
  /**
   * The echo server in the guest: `node` (the project's echo-server.mjs; the guest needs node and
   * this project at the same path) or `socat` (socat's PIPE; any guest with socat, e.g. the Xen lab's).
   */
  echoServer: z.enum(['node', 'socat'], { error: 'expected node or socat' }),
});

export type LatencyWorkloadConfig = z.infer<typeof latencyWorkloadSchema>;

// 211 requests/s: about 1000 RTT samples in a 5 s trial, and a period (4.74 ms) that divides no
// checkpoint interval of the presets, so send times fall at every phase of the epoch.
export const LATENCY_DEFAULTS: LatencyWorkloadConfig = {
  ratePerS: 211,
  payloadBytes: 32,
  timeoutMs: 2000,
  transport: 'tcp',
  closedLoopS: 2,
  echoServer: 'node',
};

// The Xen lab's guest has no node: socat echoes. 211 req/s already queue in the emulated guest
// (baseline RTT p50 11.6 ms against 5.4 ms at 53 req/s, measured in the lab); 53 req/s (period
// 18.9 ms) divides no preset interval either. A closed-loop round trip under buffered Remus takes
// about one real checkpoint period (0.5-1 s under emulation): 8 s gives it about ten samples.
export const LATENCY_XEN_LAB: Partial<LatencyWorkloadConfig> = {
  echoServer: 'socat',
  ratePerS: 53,
  closedLoopS: 8,
};

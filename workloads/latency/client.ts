import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Endpoint, Transport } from '../../harness/testbeds/types.ts';
import { type PacedResult, runPacedClient, summarize } from './paced-client.ts';
import { type PingPongResult, runPingPong } from './ping-pong.ts';

/**
 * The latency workload's client side as one function of plain data, so that it can run in this
 * process or in a child inside a network namespace (workloads/client-process.ts): the open-loop
 * paced client, then the closed-loop ping-pong. Times stay CLOCK_MONOTONIC ms, which every process
 * of the machine shares, so checkpoint phases still line up.
 */
export interface LatencyClientInput {
  endpoint: Endpoint;
  transport: Transport;
  payloadBytes: number;
  timeoutMs: number;
  ratePerS: number;
  warmupS: number;
  durationS: number;
  /** 0: no closed-loop part. */
  closedLoopS: number;
}

/** An open-loop run's request times, JSON-safe: NaN (lost, unsent) as null. */
export interface OpenLoopTimes {
  intended: number[];
  sent: (number | null)[];
  received: (number | null)[];
  measureStartMs: number;
}

/** JSON-safe: NaN (lost, unsent) as null, histograms HdrHistogram-encoded. */
export interface LatencyClientOutput {
  open: OpenLoopTimes;
  closed: { histogram: string; samples: number; timeouts: number; sendTimesMs: number[] } | null;
}

export async function runClient(
  input: LatencyClientInput,
  signal: AbortSignal,
): Promise<LatencyClientOutput> {
  const common = {
    endpoint: { host: input.endpoint.host, port: input.endpoint.port },
    transport: input.transport,
    payloadBytes: input.payloadBytes,
    timeoutMs: input.timeoutMs,
    signal,
  };
  const open = await runPacedClient({
    ...common,
    ratePerS: input.ratePerS,
    warmupS: input.warmupS,
    durationS: input.durationS,
  });
  // Without any echo the closed loop would only time out: the caller reports the loss.
  const closed =
    input.closedLoopS > 0 && open.measuredReceived > 0
      ? await runPingPong({ ...common, durationS: input.closedLoopS })
      : null;
  return {
    open: encodeOpenLoop(open),
    closed: closed
      ? {
          histogram: encodeIntoCompressedBase64(closed.histogram),
          samples: closed.samples,
          timeouts: closed.timeouts,
          sendTimesMs: closed.sendTimesMs,
        }
      : null,
  };
}

export function encodeOpenLoop(open: PacedResult): OpenLoopTimes {
  const nullable = (values: Float64Array) => Array.from(values, (v) => (Number.isNaN(v) ? null : v));
  return {
    intended: Array.from(open.times.intended),
    sent: nullable(open.times.sent),
    received: nullable(open.times.received),
    measureStartMs: open.measureStartMs,
  };
}

/** The open-loop result again, from its request times (histograms and counts recomputed). */
export function decodeOpenLoop(times: OpenLoopTimes, durationS: number): PacedResult {
  const numbers = (values: (number | null)[]) => Float64Array.from(values, (v) => v ?? Number.NaN);
  return summarize(
    {
      intended: Float64Array.from(times.intended),
      sent: numbers(times.sent),
      received: numbers(times.received),
    },
    times.measureStartMs,
    durationS,
  );
}

export function decodeClientOutput(
  output: LatencyClientOutput,
  durationS: number,
): { open: PacedResult; closed: PingPongResult | null } {
  const open = decodeOpenLoop(output.open, durationS);
  const closed = output.closed
    ? {
        histogram: decodeFromCompressedBase64(output.closed.histogram),
        samples: output.closed.samples,
        timeouts: output.closed.timeouts,
        sendTimesMs: output.closed.sendTimesMs,
      }
    : null;
  return { open, closed };
}

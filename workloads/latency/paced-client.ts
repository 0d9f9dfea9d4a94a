import { build, type Histogram } from 'hdr-histogram-js';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { timeoutDelay } from '../../harness/util/delay.ts';
import { monotonicMs, waitUntil } from '../../harness/util/precise-wait.ts';
import { type EchoChannel, openChannel, type Transport } from './transport.ts';

/**
 * Open-loop paced RTT client: request i is due at t0 + i / rate whatever happened to earlier ones,
 * and its RTT is counted from when it was due (intended-send-time accounting), so a stalled server
 * shows up as a tail instead of as fewer samples (no coordinated omission). Every request carries
 * its sequence number; the echo returns it. Sends are placed within tens of µs of their due time
 * (harness/util/precise-wait.ts); the residual lag is reported.
 */
export interface PacedOptions {
  endpoint: Endpoint;
  transport: Transport;
  ratePerS: number;
  warmupS: number;
  durationS: number;
  payloadBytes: number;
  /** After the last send, how long to wait for outstanding replies before counting them lost. */
  timeoutMs: number;
  signal: AbortSignal;
  /** The request/reply channel; default: an echo over `transport` (another protocol: the mixed workload's HTTP). */
  open?: ChannelOpener;
}

export type ChannelOpener = (
  endpoint: Endpoint,
  transport: Transport,
  messageBytes: number,
  signal: AbortSignal,
) => Promise<EchoChannel>;

/** Per request, monotonicMs times: due, written, echo received (NaN: lost). */
export interface RequestTimes {
  intended: Float64Array;
  sent: Float64Array;
  received: Float64Array;
}

export interface PacedResult {
  /** RTT in µs from due time to receive, of requests due inside the measured window. */
  histogram: Histogram;
  measuredSent: number;
  measuredReceived: number;
  lost: number;
  /** Achieved send rate over the measured window (requests/s). */
  achievedRatePerS: number;
  /** How late the client's own sends were against their due time (µs). */
  sendLagUs: { p50: number; p99: number; max: number };
  times: RequestTimes;
  /** monotonicMs at which the measured window starts. */
  measureStartMs: number;
}

export const newHistogram = (): Histogram =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

export async function runPacedClient(options: PacedOptions): Promise<PacedResult> {
  const { endpoint, transport, ratePerS, warmupS, durationS, payloadBytes, timeoutMs, signal } = options;
  const periodMs = 1000 / ratePerS;
  const total = Math.ceil((warmupS + durationS) * ratePerS);
  const times: RequestTimes = {
    intended: new Float64Array(total),
    sent: new Float64Array(total).fill(Number.NaN),
    received: new Float64Array(total).fill(Number.NaN),
  };
  const channel = await (options.open ?? openChannel)(endpoint, transport, payloadBytes, signal);
  let receivedCount = 0;
  let allReceived: () => void = () => {};
  const allIn = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  channel.onMessage((message, at) => {
    if (message.length < 4) return;
    const seq = message.readUInt32LE(0);
    if (seq < total && Number.isNaN(times.received[seq])) {
      times.received[seq] = at;
      receivedCount++;
      if (receivedCount === total) allReceived();
    }
  });
  const t0 = monotonicMs() + 5;
  try {
    const message = Buffer.alloc(payloadBytes);
    for (let i = 0; i < total; i++) {
      const due = t0 + i * periodMs;
      times.intended[i] = due;
      await waitUntil(due, signal);
      if (signal.aborted) throw new InterruptedError();
      const failure = channel.error();
      if (failure && transport === 'tcp') {
        throw new Error(`connection to ${endpoint.host}:${endpoint.port} failed: ${failure.message}`);
      }
      message.writeUInt32LE(i, 0);
      times.sent[i] = monotonicMs();
      channel.send(message);
    }
    await Promise.race([allIn, timeoutDelay(timeoutMs)]);
    if (signal.aborted) throw new InterruptedError();
  } finally {
    channel.close();
  }
  return summarize(times, t0 + warmupS * 1000, durationS);
}

/** Histogram and counts of the measured window (requests due after the warm-up). */
export function summarize(times: RequestTimes, measureStartMs: number, durationS: number): PacedResult {
  const histogram = newHistogram();
  const lag = newHistogram();
  let measuredSent = 0;
  let measuredReceived = 0;
  for (let i = 0; i < times.intended.length; i++) {
    const due = times.intended[i] as number;
    if (due < measureStartMs || Number.isNaN(times.sent[i])) continue;
    measuredSent++;
    lag.recordValue(Math.max(1, Math.round(((times.sent[i] as number) - due) * 1000)));
    const received = times.received[i] as number;
    if (Number.isNaN(received)) continue;
    measuredReceived++;
    histogram.recordValue(Math.max(1, Math.round((received - due) * 1000)));
  }
  return {
    histogram,
    measuredSent,
    measuredReceived,
    lost: measuredSent - measuredReceived,
    achievedRatePerS: measuredSent / durationS,
    sendLagUs: { p50: lag.getValueAtPercentile(50), p99: lag.getValueAtPercentile(99), max: lag.maxValue },
    times,
    measureStartMs,
  };
}

import net from 'node:net';
import { build, type Histogram } from 'hdr-histogram-js';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { timeoutDelay } from '../../harness/util/delay.ts';

/**
 * Open-loop paced RTT client over one TCP connection: request i is due at t0 + i / rate whatever
 * happened to earlier requests, so a stalled server shows up as a tail instead of as fewer samples
 * (no coordinated omission). Every request carries its sequence number; the echo returns it.
 */
export interface PacedOptions {
  endpoint: Endpoint;
  ratePerS: number;
  warmupS: number;
  durationS: number;
  payloadBytes: number;
  /** After the last send, how long to wait for outstanding replies before counting them lost. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface RequestTimes {
  /** ms since t0: when the request was due, when it was written, when its echo arrived (NaN: lost). */
  intended: Float64Array;
  sent: Float64Array;
  received: Float64Array;
}

export interface PacedResult {
  /** RTT (µs, from actual send to receive) of requests due inside the measured window. */
  histogram: Histogram;
  measuredSent: number;
  measuredReceived: number;
  lost: number;
  /** How late the client's own sends were against their due time (µs): the client's pacing error. */
  sendLagUs: { p50: number; p99: number };
  times: RequestTimes;
  measureStartMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function runPacedClient(options: PacedOptions): Promise<PacedResult> {
  const { endpoint, ratePerS, warmupS, durationS, payloadBytes, timeoutMs, signal } = options;
  const periodMs = 1000 / ratePerS;
  const total = Math.ceil((warmupS + durationS) * ratePerS);
  const times: RequestTimes = {
    intended: new Float64Array(total),
    sent: new Float64Array(total).fill(Number.NaN),
    received: new Float64Array(total).fill(Number.NaN),
  };
  const socket = await connect(endpoint, signal);
  let receivedCount = 0;
  let allReceived: () => void = () => {};
  const allIn = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  let pending: Buffer = Buffer.alloc(0);
  let t0 = 0;
  socket.on('data', (chunk: Buffer) => {
    const now = performance.now() - t0;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= payloadBytes) {
      const seq = pending.readUInt32LE(0);
      if (seq < total && Number.isNaN(times.received[seq])) {
        times.received[seq] = now;
        receivedCount++;
      }
      pending = pending.subarray(payloadBytes);
    }
    if (receivedCount === total) allReceived();
  });
  let socketError: Error | null = null;
  socket.on('error', (error) => {
    socketError = error;
  });
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    t0 = performance.now() + 5;
    const message = Buffer.alloc(payloadBytes);
    for (let i = 0; i < total; i++) {
      const due = i * periodMs;
      times.intended[i] = due;
      const wait = due - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      if (signal.aborted) throw new InterruptedError();
      if (socketError)
        throw new Error(
          `connection to ${endpoint.host}:${endpoint.port} failed: ${(socketError as Error).message}`,
        );
      message.writeUInt32LE(i, 0);
      times.sent[i] = performance.now() - t0;
      // A copy per write: the socket may still hold a reference to the buffer while it is queued.
      socket.write(Buffer.from(message));
    }
    await Promise.race([allIn, timeoutDelay(timeoutMs)]);
    if (signal.aborted) throw new InterruptedError();
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
  return summarize(times, warmupS * 1000);
}

function connect(endpoint: Endpoint, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError());
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (error) =>
      reject(
        new Error(
          `cannot connect to the guest's server at ${endpoint.host}:${endpoint.port}: ${error.message}`,
        ),
      ),
    );
  });
}

/** Builds the RTT histogram of the measured window (requests due after the warm-up). */
export function summarize(times: RequestTimes, measureStartMs: number): PacedResult {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const lag = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let measuredSent = 0;
  let measuredReceived = 0;
  for (let i = 0; i < times.intended.length; i++) {
    if ((times.intended[i] as number) < measureStartMs || Number.isNaN(times.sent[i])) continue;
    measuredSent++;
    lag.recordValue(
      Math.max(1, Math.round(((times.sent[i] as number) - (times.intended[i] as number)) * 1000)),
    );
    const received = times.received[i] as number;
    if (Number.isNaN(received)) continue;
    measuredReceived++;
    histogram.recordValue(Math.max(1, Math.round((received - (times.sent[i] as number)) * 1000)));
  }
  return {
    histogram,
    measuredSent,
    measuredReceived,
    lost: measuredSent - measuredReceived,
    sendLagUs: { p50: lag.getValueAtPercentile(50), p99: lag.getValueAtPercentile(99) },
    times,
    measureStartMs,
  };
}

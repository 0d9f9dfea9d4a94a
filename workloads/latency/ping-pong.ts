import type { Histogram } from 'hdr-histogram-js';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { monotonicMs } from '../../harness/util/precise-wait.ts';
import { newHistogram } from './paced-client.ts';
import { openChannel, type Transport } from './transport.ts';

/**
 * Closed-loop ping-pong, the second view: one request in flight, the next sent from the very
 * callback that receives the previous echo (or when it times out). Under a stall it takes fewer
 * samples instead of showing the stall: the coordinated omission the open-loop client avoids,
 * measured on purpose for comparison (and what sockperf ping-pong and ping report). Under Remus it
 * phase-locks to the epochs. Callback-driven, with one re-armed timer, to keep the client's own
 * cost per round trip small.
 */
export interface PingPongResult {
  histogram: Histogram;
  samples: number;
  timeouts: number;
  /** monotonicMs send time of every sample (answered or not). */
  sendTimesMs: number[];
}

export async function runPingPong(options: {
  endpoint: Endpoint;
  transport: Transport;
  durationS: number;
  payloadBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<PingPongResult> {
  const { endpoint, transport, durationS, payloadBytes, timeoutMs, signal } = options;
  const channel = await openChannel(endpoint, transport, payloadBytes, signal);
  const histogram = newHistogram();
  const sendTimesMs: number[] = [];
  const message = Buffer.alloc(payloadBytes);
  const end = monotonicMs() + durationS * 1000;
  let timeouts = 0;
  let seq = 0;
  let sent = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const sendNext = () => {
    if (signal.aborted || monotonicMs() >= end) {
      finish();
      return;
    }
    seq++;
    message.writeUInt32LE(seq, 0);
    sent = monotonicMs();
    sendTimesMs.push(sent);
    channel.send(message);
    timer.refresh();
  };
  const timer = setTimeout(() => {
    timeouts++;
    sendNext();
  }, timeoutMs);
  channel.onMessage((reply, at) => {
    if (reply.length < 4 || reply.readUInt32LE(0) !== seq) return; // a late echo of a timed-out request
    histogram.recordValue(Math.max(1, Math.round((at - sent) * 1000)));
    sendNext();
  });
  const onAbort = () => finish();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    sendNext();
    await finished;
    if (signal.aborted) throw new InterruptedError();
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    channel.close();
  }
  return { histogram, samples: histogram.totalCount, timeouts, sendTimesMs };
}

import type { Histogram } from 'hdr-histogram-js';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { monotonicMs } from '../../harness/util/precise-wait.ts';
import { newHistogram } from './paced-client.ts';
import { openChannel, type Transport } from './transport.ts';

/**
 * Closed-loop ping-pong, the second view: one request in flight, the next sent when the previous
 * echo arrives (or times out). Under a stall it takes fewer samples instead of showing the stall:
 * the coordinated omission the open-loop client avoids, measured on purpose for comparison (and
 * what sockperf ping-pong and ping report). Under Remus it phase-locks to the epochs.
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
  let timeouts = 0;
  let seq = 0;
  const sendTimesMs: number[] = [];
  let waiting: { seq: number; resolve: (at: number | null) => void } | null = null;
  channel.onMessage((message, at) => {
    if (waiting && message.length >= 4 && message.readUInt32LE(0) === waiting.seq) waiting.resolve(at);
  });
  const onAbort = () => waiting?.resolve(null);
  signal.addEventListener('abort', onAbort, { once: true });
  const end = monotonicMs() + durationS * 1000;
  const message = Buffer.alloc(payloadBytes);
  try {
    while (monotonicMs() < end) {
      if (signal.aborted) throw new InterruptedError();
      seq++;
      message.writeUInt32LE(seq, 0);
      const reply = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        waiting = {
          seq,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
      const sent = monotonicMs();
      sendTimesMs.push(sent);
      channel.send(message);
      const at = await reply;
      waiting = null;
      if (at === null) timeouts++;
      else histogram.recordValue(Math.max(1, Math.round((at - sent) * 1000)));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    channel.close();
  }
  return { histogram, samples: histogram.totalCount, timeouts, sendTimesMs };
}

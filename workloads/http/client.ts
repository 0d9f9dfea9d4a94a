import autocannon from 'autocannon';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';

/**
 * The http workload's client as one function of plain data (see workloads/client-process.ts): an
 * optional warm-up load, then the measured autocannon run, reduced to the figures the workload
 * stores.
 */
export interface HttpClientInput {
  endpoint: Endpoint;
  connections: number;
  timeoutS: number;
  warmupS: number;
  durationS: number;
}

export interface HttpClientOutput {
  url: string;
  requests: number;
  durationS: number;
  throughputBytesPerS: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function load(
  input: HttpClientInput,
  seconds: number,
  signal: AbortSignal,
): Promise<autocannon.Result> {
  // Without a callback autocannon returns its instance (an EventEmitter with stop()) that is
  // also thenable; the type declarations only say Promise.
  const instance = autocannon({
    url: `http://${input.endpoint.host}:${input.endpoint.port}/`,
    connections: input.connections,
    pipelining: 1,
    duration: seconds,
    timeout: input.timeoutS,
  }) as unknown as Promise<autocannon.Result> & { stop(): void };
  const onAbort = () => instance.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await instance;
    if (signal.aborted) throw new InterruptedError();
    return result;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export async function runClient(input: HttpClientInput, signal: AbortSignal): Promise<HttpClientOutput> {
  if (input.warmupS > 0) await load(input, input.warmupS, signal);
  const r = await load(input, input.durationS, signal);
  return {
    url: r.url,
    requests: r.requests.total,
    durationS: r.duration || input.durationS,
    throughputBytesPerS: r.throughput.average,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

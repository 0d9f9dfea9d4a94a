import type { Endpoint } from '../../harness/testbeds/types.ts';
import { encodeOpenLoop, type OpenLoopTimes } from '../latency/client.ts';
import { runPacedClient } from '../latency/paced-client.ts';
import { openHttpChannel } from './http-channel.ts';

/**
 * The mixed workload's client as one function of plain data (it may run in a child inside a
 * network namespace, workloads/client-process.ts): the latency workload's open-loop paced client,
 * speaking HTTP to the guest's server.
 */
export interface MixedClientInput {
  endpoint: Endpoint;
  ratePerS: number;
  timeoutMs: number;
  warmupS: number;
  durationS: number;
}

export async function runClient(input: MixedClientInput, signal: AbortSignal): Promise<OpenLoopTimes> {
  const open = await runPacedClient({
    endpoint: { host: input.endpoint.host, port: input.endpoint.port },
    transport: 'tcp',
    // The sequence number; the HTTP request and reply carry it as text.
    payloadBytes: 4,
    timeoutMs: input.timeoutMs,
    ratePerS: input.ratePerS,
    warmupS: input.warmupS,
    durationS: input.durationS,
    signal,
    open: (endpoint) => openHttpChannel(endpoint),
  });
  return encodeOpenLoop(open);
}

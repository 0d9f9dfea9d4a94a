import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { InterruptedError } from '../harness/errors.ts';
import type { Endpoint } from '../harness/testbeds/types.ts';
import { childEnv } from '../harness/util/child-env.ts';
import { tsScriptCommand } from '../harness/util/node-script.ts';

const CLIENT_MAIN = fileURLToPath(new URL('./client-main.ts', import.meta.url));

/**
 * Runs a workload's client function in a child process inside a network namespace (`ip netns exec`),
 * for endpoints reachable only from there (Endpoint.netns). The function is the `runClient` export
 * of `modulePath`; its input and output cross as JSON, so both must be plain data. A Ctrl-C
 * (signal) ends the child and becomes InterruptedError; a failure in the child is rethrown with
 * its message.
 */
export async function runClientProcess<Output>(
  netns: string,
  modulePath: string,
  input: unknown,
  signal: AbortSignal,
): Promise<Output> {
  if (signal.aborted) throw new InterruptedError();
  const [node, clientArgs] = tsScriptCommand(CLIENT_MAIN, [modulePath]);
  const result = await execa('ip', ['netns', 'exec', netns, node, ...clientArgs], {
    input: JSON.stringify(input),
    cancelSignal: signal,
    forceKillAfterDelay: 2000,
    reject: false,
    env: childEnv(),
    extendEnv: false,
  });
  if (signal.aborted) throw new InterruptedError();
  if (result.exitCode !== 0) {
    const said = String(result.stderr).trim().split('\n').slice(-3).join(' ');
    throw new Error(
      `the workload client in network namespace ${netns} failed (exit ${result.exitCode}): ${said || result.message}`,
    );
  }
  return JSON.parse(String(result.stdout)) as Output;
}

/** A workload's client: the module that exports it as `runClient` (for a child process), and the function. */
export interface WorkloadClient<Input, Output> {
  readonly module: string;
  readonly run: (input: Input, signal: AbortSignal) => Promise<Output>;
}

/**
 * Runs a workload's client where it reaches the endpoint: in this process, or in a child inside
 * the endpoint's network namespace (the Xen lab's guest).
 */
export function runClientFor<Input, Output>(
  endpoint: Endpoint,
  client: WorkloadClient<Input, Output>,
  input: Input,
  signal: AbortSignal,
): Promise<Output> {
  return endpoint.netns
    ? runClientProcess<Output>(endpoint.netns, client.module, input, signal)
    : client.run(input, signal);
}

/** host:port and, when it is reached from one, the network namespace (for messages). */
export function endpointLabel(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}${endpoint.netns ? ` (netns ${endpoint.netns})` : ''}`;
}

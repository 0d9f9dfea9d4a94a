import type { Endpoint, Guest, GuestProcess, Transport } from '../harness/testbeds/types.ts';

/**
 * Starts one of the in-guest servers under workloads/<name>/guest/ (Node scripts that bind to
 * `--host` and an ephemeral `--port 0`, then print "listening <port>") and returns the endpoint a
 * client outside the guest uses, i.e. through the testbed's output-commit path.
 */
export async function startGuestServer(
  guest: Guest,
  script: string,
  extraArgs: readonly string[] = [],
  transport: Transport = 'tcp',
): Promise<{ server: GuestProcess; endpoint: Endpoint }> {
  const server = guest.spawn([
    process.execPath,
    script,
    '--host',
    guest.bindAddress,
    '--port',
    '0',
    ...extraArgs,
  ]);
  const match = await server.waitForLine(/^listening (\d+)$/, 10_000);
  return { server, endpoint: await guest.endpoint(Number(match[1]), transport) };
}

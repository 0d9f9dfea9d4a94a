import type { Endpoint, Guest, GuestProcess, Transport } from '../harness/testbeds/types.ts';

/** A server started in the guest and the endpoint its client reaches it at. */
export interface StartedServer {
  server: GuestProcess;
  endpoint: Endpoint;
}

/**
 * The server a network workload keeps in the guest across its trials: started by prepare(), its
 * endpoint read by each trial, ended by teardown().
 */
export class GuestServer {
  private started: StartedServer | null = null;

  constructor(private readonly workload: string) {}

  async start(starting: Promise<StartedServer>): Promise<void> {
    this.started = await starting;
  }

  get endpoint(): Endpoint {
    if (!this.started) throw new Error(`${this.workload} workload: trial before prepare`);
    return this.started.endpoint;
  }

  async stop(): Promise<void> {
    await this.started?.server.kill();
    this.started = null;
  }
}

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
): Promise<StartedServer> {
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

/**
 * A socat echo server in the guest (for guests without node, such as the Xen lab's): bound to an
 * ephemeral port, which socat's notice log names; one child per TCP connection or UDP peer.
 */
export async function startSocatEcho(guest: Guest, transport: Transport): Promise<StartedServer> {
  const listen =
    transport === 'tcp'
      ? `TCP4-LISTEN:0,bind=${guest.bindAddress},fork,reuseaddr`
      : `UDP4-LISTEN:0,bind=${guest.bindAddress},fork,reuseaddr`;
  // -T 60: a UDP peer's child exits after a minute of silence (UDP has no close).
  // socat logs to stderr; the guest process API reads stdout. (`-lf /dev/stdout` fails where stdout
  // is a socket, as with Node's child processes, or where a bare devtmpfs has no /dev/stdout.)
  const server = guest.spawn([
    'sh',
    '-c',
    'exec socat "$@" 2>&1',
    'sh',
    '-d',
    '-d',
    ...(transport === 'udp' ? ['-T', '60'] : []),
    listen,
    'PIPE',
  ]);
  const match = await server.waitForLine(/listening on (?:UDP )?AF=2 [\d.]+:(\d+)/, 20_000);
  return { server, endpoint: await guest.endpoint(Number(match[1]), transport) };
}

/** The port of the busybox HTTP server: busybox httpd cannot bind port 0 and report it. */
export const BUSYBOX_HTTP_PORT = 8080;

/**
 * busybox httpd in the guest serving one file of `bodyBytes` (for guests without node, such as the
 * Xen lab's). Ready once it answers a request from inside the guest; a TERM ends it.
 */
export async function startBusyboxHttpd(guest: Guest, bodyBytes: number): Promise<StartedServer> {
  const script = [
    'd=$(mktemp -d) || exit 1',
    'head -c "$1" /dev/zero | tr "\\0" x > "$d/index.html"',
    'busybox httpd -f -p "$3:$2" -h "$d" & pid=$!',
    'trap \'kill $pid; rm -rf "$d"; exit 0\' TERM INT',
    'i=0; until busybox wget -q -O /dev/null "http://127.0.0.1:$2/"; do i=$((i+1)); [ $i -lt 100 ] && kill -0 $pid || exit 1; sleep 0.1; done',
    'echo "listening $2"',
    'wait $pid',
  ].join('\n');
  const server = guest.spawn([
    'sh',
    '-c',
    script,
    'sh',
    String(bodyBytes),
    String(BUSYBOX_HTTP_PORT),
    guest.bindAddress,
  ]);
  const match = await server.waitForLine(/^listening (\d+)$/, 30_000);
  return { server, endpoint: await guest.endpoint(Number(match[1])) };
}

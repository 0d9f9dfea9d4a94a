import dgram from 'node:dgram';
import net from 'node:net';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint, Transport } from '../../harness/testbeds/types.ts';
import { monotonicMs } from '../../harness/util/precise-wait.ts';

export type { Transport };

/**
 * A message channel to the echo server: fixed-size messages over TCP (re-framed from the byte
 * stream) or one datagram each over UDP. Every message is timestamped on arrival (monotonicMs)
 * before anything else runs.
 */
export interface EchoChannel {
  send(message: Buffer): void;
  onMessage(handler: (message: Buffer, receivedMonoMs: number) => void): void;
  /** The first transport error, if any (UDP errors such as ECONNREFUSED are counted as loss). */
  error(): Error | null;
  close(): void;
}

export async function openChannel(
  endpoint: Endpoint,
  transport: Transport,
  messageBytes: number,
  signal: AbortSignal,
): Promise<EchoChannel> {
  if (signal.aborted) throw new InterruptedError();
  return transport === 'tcp' ? openTcp(endpoint, messageBytes) : openUdp(endpoint, messageBytes);
}

function openTcp(endpoint: Endpoint, messageBytes: number): Promise<EchoChannel> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.setNoDelay(true);
    let failure: Error | null = null;
    let handler: (message: Buffer, at: number) => void = () => {};
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const at = monotonicMs();
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= messageBytes) {
        handler(pending.subarray(0, messageBytes), at);
        pending = pending.subarray(messageBytes);
      }
    });
    socket.once('connect', () =>
      resolve({
        // A copy per write: the socket may hold the buffer while it is queued.
        send: (message) => socket.write(Buffer.from(message)),
        onMessage: (h) => {
          handler = h;
        },
        error: () => failure,
        close: () => socket.destroy(),
      }),
    );
    socket.on('error', (error) => {
      failure = error;
      reject(
        new Error(
          `cannot connect to the guest's echo server at ${endpoint.host}:${endpoint.port} (tcp): ${error.message}`,
        ),
      );
    });
  });
}

function openUdp(endpoint: Endpoint, messageBytes: number): Promise<EchoChannel> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    let failure: Error | null = null;
    let handler: (message: Buffer, at: number) => void = () => {};
    socket.on('message', (datagram: Buffer) => {
      const at = monotonicMs();
      // An echo server with a byte stream inside (socat's PIPE) sends back whatever it read from
      // its pipe in one datagram: when it falls behind, two requests come back in one. Split them
      // so that neither is counted lost.
      if (datagram.length > messageBytes && datagram.length % messageBytes === 0) {
        for (let offset = 0; offset < datagram.length; offset += messageBytes) {
          handler(datagram.subarray(offset, offset + messageBytes), at);
        }
      } else {
        handler(datagram, at);
      }
    });
    socket.on('error', (error) => {
      failure = error;
    });
    socket.connect(endpoint.port, endpoint.host, () =>
      resolve({
        send: (message) => socket.send(Buffer.from(message)),
        onMessage: (h) => {
          handler = h;
        },
        error: () => failure,
        close: () => {
          try {
            socket.close();
          } catch {
            // already closed
          }
        },
      }),
    );
    socket.once('error', reject);
  });
}

import net from 'node:net';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { monotonicMs } from '../../harness/util/precise-wait.ts';
import type { EchoChannel } from '../latency/transport.ts';

/**
 * The mixed workload's requests as the paced client's channel: each message becomes
 * `GET /work/<seq>` on one keep-alive HTTP/1.1 connection (pipelined: a request is written at its
 * due time whatever is still outstanding, as an open-loop client must), and each reply, read off
 * the byte stream by its Content-Length, becomes a 4-byte message carrying the sequence number its
 * body names, timestamped on arrival.
 */
export function openHttpChannel(endpoint: Endpoint): Promise<EchoChannel> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.setNoDelay(true);
    let failure: Error | null = null;
    let closedByUs = false;
    let handler: (message: Buffer, at: number) => void = () => {};
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const at = monotonicMs();
      pending += chunk;
      for (;;) {
        const headerEnd = pending.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const length = Number(
          /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, headerEnd))?.[1] ?? Number.NaN,
        );
        if (!Number.isFinite(length)) {
          failure = new Error(`a reply without Content-Length: ${JSON.stringify(pending.slice(0, 80))}`);
          socket.destroy();
          return;
        }
        if (pending.length < headerEnd + 4 + length) return;
        const status = pending.slice(0, pending.indexOf('\r\n'));
        const body = pending.slice(headerEnd + 4, headerEnd + 4 + length);
        pending = pending.slice(headerEnd + 4 + length);
        const seq = Number.parseInt(body.slice(0, 8), 16);
        if (!status.includes(' 200 ') || !Number.isFinite(seq)) continue;
        const message = Buffer.alloc(4);
        message.writeUInt32LE(seq, 0);
        handler(message, at);
      }
    });
    socket.once('connect', () =>
      resolve({
        send: (message) => {
          socket.write(`GET /work/${message.readUInt32LE(0)} HTTP/1.1\r\nHost: ${endpoint.host}\r\n\r\n`);
        },
        onMessage: (h) => {
          handler = h;
        },
        error: () => failure,
        close: () => {
          closedByUs = true;
          socket.destroy();
        },
      }),
    );
    socket.on('close', () => {
      if (!closedByUs && !failure) failure = new Error('the server closed the connection');
    });
    socket.on('error', (error) => {
      failure = error;
      reject(
        new Error(
          `cannot connect to the guest's mixed server at ${endpoint.host}:${endpoint.port}: ${error.message}`,
        ),
      );
    });
  });
}

import dgram from 'node:dgram';
import net from 'node:net';
import type { Endpoint, Transport } from '../types.ts';

/**
 * The output-commit path of the emulated testbed: a TCP and UDP proxy between outside clients and
 * the guest. Client -> guest traffic passes at once. Guest -> client output passes at once while
 * unprotected; while protected it is held, sealed into the epoch that produced it at each
 * checkpoint, and released only when that checkpoint commits (Remus's output commit).
 *
 * Semantic gap to Xen Remus, stated in the results: the host kernel terminates TCP, so handshakes
 * and ACKs are not held, only payload bytes (and the guest's FIN, which is held like data).
 */

/** Guest output waiting for its commit: how many bytes, and how to send them on. */
interface HeldOutput {
  bytes: number;
  deliver(): void;
}

export class OutputCommitProxy {
  private readonly closers: (() => Promise<void>)[] = [];
  private holding = false;
  /** Output produced in the epoch that is still running. */
  private open: HeldOutput[] = [];
  /** Output of checkpoints taken but not yet committed, oldest first. */
  private readonly sealed: { epoch: number; items: HeldOutput[] }[] = [];

  /** Listens on `host` (ephemeral port) and forwards to `upstream` over `transport`. */
  forward(upstream: Endpoint, host: string, transport: Transport = 'tcp'): Promise<Endpoint> {
    return transport === 'tcp' ? this.forwardTcp(upstream, host) : this.forwardUdp(upstream, host);
  }

  private async forwardTcp(upstream: Endpoint, host: string): Promise<Endpoint> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const guest = net.connect(upstream.port, upstream.host);
      client.setNoDelay(true);
      guest.setNoDelay(true);
      sockets.add(client);
      sockets.add(guest);
      const destroyBoth = () => {
        client.destroy();
        guest.destroy();
      };
      client.on('error', destroyBoth);
      guest.on('error', destroyBoth);
      client.on('close', () => {
        sockets.delete(client);
        guest.destroy();
      });
      guest.on('close', () => sockets.delete(guest));
      client.on('data', (data) => guest.write(data));
      client.on('end', () => guest.end());
      guest.on('data', (data) =>
        this.output({ bytes: data.length, deliver: () => void (client.destroyed || client.write(data)) }),
      );
      guest.on('end', () =>
        this.output({ bytes: 0, deliver: () => void (client.destroyed || client.end()) }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    this.closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { host, port: (server.address() as net.AddressInfo).port };
  }

  /** UDP: one upstream socket per client address, so replies find their way back. */
  private async forwardUdp(upstream: Endpoint, host: string): Promise<Endpoint> {
    const server = dgram.createSocket('udp4');
    // Per client: a socket connected to the guest, and datagrams waiting for that connect.
    const upstreams = new Map<string, { socket: dgram.Socket; queued: Buffer[] | null }>();
    server.on('message', (message, from) => {
      const key = `${from.address}:${from.port}`;
      let entry = upstreams.get(key);
      if (!entry) {
        const guest = dgram.createSocket('udp4');
        const created: { socket: dgram.Socket; queued: Buffer[] | null } = { socket: guest, queued: [] };
        guest.on('error', () => {}); // ICMP errors (guest port closed) mean loss, as on a network
        guest.on('message', (reply) =>
          this.output({ bytes: reply.length, deliver: () => server.send(reply, from.port, from.address) }),
        );
        guest.connect(upstream.port, upstream.host, () => {
          for (const queued of created.queued ?? []) guest.send(queued);
          created.queued = null;
        });
        upstreams.set(key, created);
        entry = created;
      }
      if (entry.queued) entry.queued.push(message);
      else entry.socket.send(message);
    });
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.bind(0, host, () => resolve()));
    this.closers.push(async () => {
      for (const { socket } of upstreams.values()) socket.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { host, port: server.address().port };
  }

  private output(item: HeldOutput): void {
    if (this.holding) this.open.push(item);
    else item.deliver();
  }

  /** Starts holding guest output (protection starts). */
  hold(): void {
    this.holding = true;
  }

  /** Everything held so far was produced before checkpoint `epoch`'s freeze. */
  seal(epoch: number): void {
    this.sealed.push({ epoch, items: this.open });
    this.open = [];
  }

  /** Checkpoint `epoch` committed: releases its output and that of earlier epochs. Returns bytes. */
  release(epoch: number): number {
    let bytes = 0;
    while (this.sealed.length > 0 && (this.sealed[0]?.epoch ?? Number.POSITIVE_INFINITY) <= epoch) {
      bytes += deliverAll(this.sealed.shift()?.items ?? []);
    }
    return bytes;
  }

  /** Protection stopped: release everything still held and pass output through from now on. */
  passThrough(): number {
    let bytes = 0;
    for (const { items } of this.sealed.splice(0)) bytes += deliverAll(items);
    bytes += deliverAll(this.open.splice(0));
    this.holding = false;
    return bytes;
  }

  async close(): Promise<void> {
    this.passThrough();
    await Promise.all(this.closers.splice(0).map((close) => close()));
  }
}

function deliverAll(items: readonly HeldOutput[]): number {
  let bytes = 0;
  for (const item of items) {
    item.deliver();
    bytes += item.bytes;
  }
  return bytes;
}

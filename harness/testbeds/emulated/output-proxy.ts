import net from 'node:net';
import type { Endpoint } from '../types.ts';

/**
 * The output-commit path of the emulated testbed: a TCP proxy between outside clients and the
 * guest. Client -> guest bytes pass at once. Guest -> client bytes pass at once while unprotected;
 * while protected they are held, sealed into the epoch that produced them at each checkpoint, and
 * released only when that checkpoint commits (Remus's output commit; reference/emulator.md §5.1).
 *
 * Semantic gap to Xen Remus, stated in the results: the host kernel terminates TCP, so handshakes
 * and ACKs are not held, only payload bytes (and the guest's FIN, which is held like data).
 */

type HeldItem = { socket: net.Socket; data: Buffer } | { socket: net.Socket; end: true };

export class OutputCommitProxy {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private holding = false;
  /** Output produced in the epoch that is still running. */
  private open: HeldItem[] = [];
  /** Output of checkpoints taken but not yet committed, oldest first. */
  private readonly sealed: { epoch: number; items: HeldItem[] }[] = [];

  /** Listens on `host` (ephemeral port) and forwards each connection to `upstream`. */
  async forward(upstream: Endpoint, host: string): Promise<Endpoint> {
    const server = net.createServer((client) => this.connect(client, upstream));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    return { host, port: address.port };
  }

  private connect(client: net.Socket, upstream: Endpoint): void {
    const guest = net.connect(upstream.port, upstream.host);
    client.setNoDelay(true);
    guest.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(guest);
    const destroyBoth = () => {
      client.destroy();
      guest.destroy();
    };
    client.on('error', destroyBoth);
    guest.on('error', destroyBoth);
    client.on('close', () => {
      this.sockets.delete(client);
      guest.destroy();
    });
    guest.on('close', () => this.sockets.delete(guest));
    client.on('data', (data) => guest.write(data));
    client.on('end', () => guest.end());
    guest.on('data', (data) => this.output({ socket: client, data }));
    guest.on('end', () => this.output({ socket: client, end: true }));
  }

  private output(item: HeldItem): void {
    if (this.holding) this.open.push(item);
    else deliver(item);
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
      for (const item of this.sealed.shift()?.items ?? []) bytes += deliver(item);
    }
    return bytes;
  }

  /** Protection stopped: release everything still held and pass output through from now on. */
  passThrough(): number {
    let bytes = 0;
    for (const { items } of this.sealed.splice(0)) for (const item of items) bytes += deliver(item);
    for (const item of this.open.splice(0)) bytes += deliver(item);
    this.holding = false;
    return bytes;
  }

  async close(): Promise<void> {
    this.passThrough();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    this.servers.length = 0;
  }
}

function deliver(item: HeldItem): number {
  if (item.socket.destroyed) return 0;
  if ('end' in item) {
    item.socket.end();
    return 0;
  }
  item.socket.write(item.data);
  return item.data.length;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { timeoutDelay } from '../../../util/delay.ts';
import { PROJECT_ROOT } from '../../../version.ts';
import { type EpochDescription, encodeHeader, type ReplicaDigest, TOKEN_BYTES } from './backup-protocol.ts';
import type { ShapedLink } from './shaped-link.ts';

const BACKUP_SCRIPT = fileURLToPath(new URL('./backup-main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/**
 * The primary's end of the link to the backup process: ships epochs over TCP, waits for acks. The
 * backup listens on loopback, or, behind a ShapedLink, inside that link's network namespace (the
 * link is the BackupLink's own from then on: closed with it).
 */
export class BackupLink {
  private socket: Socket | null = null;
  private waiting: { epoch: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private ackBuffer = Buffer.alloc(0);
  private nextRequest = 1;
  private readonly requests = new Map<number, (result: unknown) => void>();
  private failure: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly shaped: ShapedLink | null,
  ) {
    child.on('message', (message: { id?: number; result?: unknown }) => {
      if (message.id !== undefined) {
        this.requests.get(message.id)?.(message.result);
        this.requests.delete(message.id);
      }
    });
    child.once('exit', (code, signal) =>
      this.fail(new Error(`the backup process exited (${signal ?? `code ${code}`})`)),
    );
  }

  /** Starts the backup process on this host and connects to it over loopback TCP or `shaped`. */
  static async start(shaped: ShapedLink | null = null): Promise<BackupLink> {
    // `ip netns exec` execs the program: the child is the backup itself, its IPC channel kept.
    const command = [...(shaped?.exec ?? []), process.execPath, '--import', 'tsx', BACKUP_SCRIPT];
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const link = new BackupLink(child, shaped);
    const host = shaped?.backupAddress ?? '127.0.0.1';
    const token = randomBytes(TOKEN_BYTES);
    child.send({ type: 'token', token: token.toString('hex'), host });
    const port = await Promise.race([
      new Promise<number>((resolve, reject) => {
        child.on('message', (m: { ready?: boolean; port?: number }) => m.ready && resolve(m.port as number));
        child.once('exit', () => reject(link.failure));
        child.once('error', reject);
      }),
      timeoutDelay(START_TIMEOUT_MS).then(() => {
        throw new Error(`the backup process did not start within ${START_TIMEOUT_MS} ms`);
      }),
    ]).catch(async (error) => {
      await link.close();
      throw error;
    });
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }).catch(async (error) => {
      await link.close();
      throw new Error(`could not connect to the backup at ${host}:${port}: ${(error as Error).message}`);
    });
    socket.setNoDelay(true);
    socket.write(token);
    socket.on('data', (chunk) => link.onAck(chunk));
    socket.on('error', (error) => link.fail(new Error(`link to the backup: ${error.message}`)));
    socket.on('close', () => link.fail(new Error('the backup closed the link')));
    link.socket = socket;
    link.port = port;
    return link;
  }

  /** The backup's port (tests: a stranger connecting there must be refused). */
  port = 0;

  /** How the stream reaches the backup: for the manifest. */
  get route(): string {
    return this.shaped ? this.shaped.description : 'loopback TCP (unshaped)';
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting?.reject(this.failure);
    this.waiting = null;
  }

  private onAck(chunk: Buffer): void {
    this.ackBuffer = Buffer.concat([this.ackBuffer, chunk]);
    while (this.ackBuffer.length >= 4) {
      const epoch = this.ackBuffer.readUInt32LE(0);
      this.ackBuffer = this.ackBuffer.subarray(4);
      if (this.waiting?.epoch === epoch) {
        this.waiting.resolve();
        this.waiting = null;
      }
    }
  }

  /** Sends one epoch and resolves when the backup has applied it. */
  ship(epoch: number, description: EpochDescription, ranges: Float64Array, payload: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const socket = this.socket as Socket;
    const json = Buffer.from(JSON.stringify(description));
    const acked = new Promise<void>((resolve, reject) => {
      this.waiting = { epoch, resolve, reject };
    });
    socket.write(encodeHeader(epoch, json, ranges.length / 2, payload.length));
    socket.write(json);
    socket.write(Buffer.from(ranges.buffer, ranges.byteOffset, ranges.byteLength));
    if (payload.length > 0) socket.write(payload);
    return acked;
  }

  private request(body: { type: 'digest' } | { type: 'read'; pid: number; start: number; end: number }) {
    const id = this.nextRequest++;
    return new Promise<unknown>((resolve) => {
      this.requests.set(id, resolve);
      this.child.send({ id, ...body });
    });
  }

  /** SHA-256 per replicated region, per process (for verification). */
  async digest(): Promise<{ epochs: number; bytes: number; replicas: ReplicaDigest }> {
    return (await this.request({ type: 'digest' })) as {
      epochs: number;
      bytes: number;
      replicas: ReplicaDigest;
    };
  }

  async read(pid: number, start: number, end: number): Promise<Buffer | null> {
    const base64 = (await this.request({ type: 'read', pid, start, end })) as string | null;
    return base64 === null ? null : Buffer.from(base64, 'base64');
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the link to the backup is closed');
    this.socket?.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, timeoutDelay(5000).then(() => this.child.kill('SIGKILL'))]);
    }
    await this.shaped?.close();
  }
}

/**
 * The backup: a process apart from the primary's controller that keeps a replica of the guest's
 * memory. It applies each epoch's ranges as they stream in and acknowledges the epoch once it is
 * applied in full; the primary releases that epoch's output only then (Remus's output commit).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import {
  type BackupRequest,
  type EpochDescription,
  HEADER_BYTES,
  LIMITS,
  MAGIC,
  type ReplicaDigest,
  TOKEN_BYTES,
} from './backup-protocol.ts';
import { ProcessReplica } from './replica.ts';

const replicas = new Map<number, ProcessReplica>();
let appliedEpochs = 0;
let appliedBytes = 0;

/** Incremental parser of one connection's stream; applies payload bytes straight into the replicas. */
class EpochStream {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private state: 'header' | 'tables' | 'payload' = 'header';
  private epoch = 0;
  private descriptionBytes = 0;
  private rangeCount = 0;
  private payloadLeft = 0;
  private targets: Buffer[] = [];
  private target = 0;
  private targetOffset = 0;

  constructor(private readonly socket: Socket) {}

  push(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0 || (this.state !== 'payload' && this.pendingBytes > 0)) {
      if (this.state === 'payload') {
        data = this.applyPayload(data);
        continue;
      }
      this.pending.push(data);
      this.pendingBytes += data.length;
      data = Buffer.alloc(0);
      const need = this.state === 'header' ? HEADER_BYTES : this.descriptionBytes + this.rangeCount * 16;
      if (this.pendingBytes < need) return;
      const joined = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (this.state === 'header') this.readHeader(joined);
      else this.readTables(joined.subarray(0, need));
      data = joined.subarray(need);
    }
  }

  private readHeader(b: Buffer): void {
    if (b.readUInt32LE(0) !== MAGIC) throw new Error('backup: bad frame (magic)');
    this.epoch = b.readUInt32LE(4);
    this.descriptionBytes = b.readUInt32LE(8);
    this.rangeCount = b.readUInt32LE(12);
    this.payloadLeft = b.readDoubleLE(16);
    if (this.descriptionBytes > LIMITS.descriptionBytes || this.rangeCount > LIMITS.rangeCount)
      throw new Error(
        `backup: bad frame (description ${this.descriptionBytes} bytes, ${this.rangeCount} ranges: over the limits)`,
      );
    if (!Number.isSafeInteger(this.payloadLeft) || this.payloadLeft < 0)
      throw new Error(`backup: bad frame (payload ${this.payloadLeft})`);
    this.state = 'tables';
  }

  private readTables(b: Buffer): void {
    const description = JSON.parse(b.toString('utf8', 0, this.descriptionBytes)) as EpochDescription;
    const ranges = new Float64Array(this.rangeCount * 2);
    Buffer.from(ranges.buffer).set(b.subarray(this.descriptionBytes));
    for (const pid of description.gone) replicas.delete(pid);
    this.targets = [];
    let r = 0;
    for (const delta of description.processes) {
      const replica = replicas.get(delta.pid) ?? new ProcessReplica();
      replicas.set(delta.pid, replica);
      if (delta.layout) {
        const regions = [];
        let total = 0;
        for (let i = 0; i < delta.layout.length; i += 2) {
          const start = delta.layout[i] as number;
          const end = delta.layout[i + 1] as number;
          if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start)
            throw new Error(`backup: bad layout of process ${delta.pid} (region ${start}-${end})`);
          total += end - start;
          if (end - start > LIMITS.regionBytes || total > LIMITS.processBytes)
            throw new Error(`backup: layout of process ${delta.pid} over the size limits`);
          regions.push({ start, end });
        }
        replica.setLayout(regions);
      }
      for (let i = 0; i < delta.ranges; i++, r++) {
        if (r >= this.rangeCount) throw new Error('backup: bad frame (more ranges described than sent)');
        const start = ranges[r * 2] as number;
        const view = replica.view(start, (ranges[r * 2 + 1] as number) - start);
        if (!view)
          throw new Error(
            `backup: range 0x${start.toString(16)} of process ${delta.pid} is outside its layout`,
          );
        this.targets.push(view);
      }
    }
    const announced = this.targets.reduce((sum, view) => sum + view.length, 0);
    if (announced !== this.payloadLeft)
      throw new Error(`backup: bad frame (payload ${this.payloadLeft} bytes, ranges ${announced})`);
    this.target = 0;
    this.targetOffset = 0;
    this.state = 'payload';
    if (this.payloadLeft === 0) this.finish();
  }

  /** Copies as much of `data` as the current epoch's payload still needs; returns the rest. */
  private applyPayload(data: Buffer): Buffer {
    let at = 0;
    while (at < data.length && this.payloadLeft > 0) {
      const view = this.targets[this.target] as Buffer;
      const n = Math.min(view.length - this.targetOffset, data.length - at);
      data.copy(view, this.targetOffset, at, at + n);
      at += n;
      this.targetOffset += n;
      this.payloadLeft -= n;
      appliedBytes += n;
      if (this.targetOffset === view.length) {
        this.target++;
        this.targetOffset = 0;
      }
    }
    if (this.payloadLeft === 0) this.finish();
    return data.subarray(at);
  }

  private finish(): void {
    const ack = Buffer.alloc(4);
    ack.writeUInt32LE(this.epoch, 0);
    this.socket.write(ack);
    appliedEpochs++;
    this.state = 'header';
  }
}

function digest(): ReplicaDigest {
  const out: ReplicaDigest = {};
  for (const [pid, replica] of replicas) {
    out[pid] = replica.layout().map((r) => ({
      ...r,
      sha256: createHash('sha256')
        .update(replica.view(r.start, r.end - r.start) as Buffer)
        .digest('hex'),
    }));
  }
  return out;
}

function answer(request: BackupRequest): unknown {
  switch (request.type) {
    case 'digest':
      return { epochs: appliedEpochs, bytes: appliedBytes, replicas: digest() };
    case 'read': {
      const view = replicas.get(request.pid)?.view(request.start, request.end - request.start);
      return view ? view.toString('base64') : null;
    }
  }
}

/** The link's token, from the primary over IPC; and whether a connection has presented it. */
let token: Buffer | null = null;
let linked = false;

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  const stream = new EpochStream(socket);
  let proof = Buffer.alloc(0);
  let authenticated = false;
  socket.on('data', (chunk) => {
    let data = chunk;
    if (!authenticated) {
      proof = Buffer.concat([proof, chunk]);
      if (proof.length < TOKEN_BYTES) return;
      const offered = proof.subarray(0, TOKEN_BYTES);
      if (!token || linked || !timingSafeEqual(offered, token)) {
        process.stderr.write('backup: refused a connection without the link token\n');
        socket.destroy();
        return;
      }
      authenticated = true;
      linked = true;
      data = proof.subarray(TOKEN_BYTES);
    }
    try {
      stream.push(data);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      socket.destroy();
    }
  });
});
process.on('message', (request: BackupRequest | { type: 'token'; token: string; host: string }) => {
  if (request.type === 'token') {
    token = Buffer.from(request.token, 'hex');
    // Loopback, or this namespace's end of the shaped link.
    server.listen(0, request.host, () => {
      const address = server.address();
      process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
    });
    return;
  }
  process.send?.({ id: request.id, result: answer(request) });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});

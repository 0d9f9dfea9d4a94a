/**
 * The backup: a process apart from the primary's controller that keeps a replica of the guest's
 * memory. It applies each epoch's ranges as they stream in and acknowledges the epoch once it is
 * applied in full; the primary releases that epoch's output only then (Remus's output commit).
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import {
  type BackupRequest,
  type EpochDescription,
  HEADER_BYTES,
  MAGIC,
  type ReplicaDigest,
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
        for (let i = 0; i < delta.layout.length; i += 2) {
          regions.push({ start: delta.layout[i] as number, end: delta.layout[i + 1] as number });
        }
        replica.setLayout(regions);
      }
      for (let i = 0; i < delta.ranges; i++, r++) {
        const start = ranges[r * 2] as number;
        const view = replica.view(start, (ranges[r * 2 + 1] as number) - start);
        if (!view)
          throw new Error(
            `backup: range 0x${start.toString(16)} of process ${delta.pid} is outside its layout`,
          );
        this.targets.push(view);
      }
    }
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

const server = createServer((socket) => {
  socket.setNoDelay(true);
  const stream = new EpochStream(socket);
  socket.on('data', (chunk) => {
    try {
      stream.push(chunk);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      socket.destroy();
    }
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (request: BackupRequest) => {
  process.send?.({ id: request.id, result: answer(request) });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});

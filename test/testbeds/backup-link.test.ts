import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BackupLink } from '../../harness/testbeds/emulated/memory/backup-link.ts';
import { encodeHeader } from '../../harness/testbeds/emulated/memory/backup-protocol.ts';

/** Connects to the backup's port as any local process could, sends `bytes`, resolves when closed. */
function stranger(port: number, bytes: Buffer): Promise<'closed' | 'still open'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    socket.on('error', () => {});
    socket.on('close', () => resolve('closed'));
    setTimeout(() => {
      socket.destroy();
      resolve('still open');
    }, 3000);
  });
}

describe('the link to the backup process (loopback TCP)', { timeout: 30_000 }, () => {
  it("refuses a local process that does not know the link's token; the primary's link goes on", async () => {
    const link = await BackupLink.start();
    try {
      // A well-formed epoch for a process 99 that is not the guest's, from a stranger: refused.
      const description = Buffer.from(
        JSON.stringify({ processes: [{ pid: 99, layout: [4096, 8192], ranges: 1 }], gone: [] }),
      );
      const ranges = Buffer.from(new Float64Array([4096, 8192]).buffer);
      const forged = Buffer.concat([
        encodeHeader(1, description, 1, 4096),
        description,
        ranges,
        Buffer.alloc(4096, 1),
      ]);
      expect(await stranger(link.port, forged)).toBe('closed');
      // The real link still works: an epoch with one small region is applied and acknowledged.
      const small = { processes: [{ pid: 42, layout: [4096, 8192], ranges: 1 }], gone: [] };
      await link.ship(1, small, new Float64Array([4096, 8192]), Buffer.alloc(4096, 7));
      const { replicas } = await link.digest();
      expect(Object.keys(replicas)).toEqual(['42']); // nothing of the stranger's process 99
      expect((await link.read(42, 4096, 4100))?.toString('hex')).toBe('07070707');
    } finally {
      await link.close();
    }
  });
});

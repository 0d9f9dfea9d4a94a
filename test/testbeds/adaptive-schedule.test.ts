import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { nextEpochMs } from '../../harness/testbeds/emulated/adaptive-policy.ts';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import type { CheckpointRecord } from '../../harness/testbeds/types.ts';

const POLICY = { minMs: 20, maxMs: 320, initialMs: 80 };

// The scripted guest: a TCP server that, once a client connects, talks for 1.2 s (a byte every
// 5 ms), is silent for 2.5 s, then talks again for 1.2 s, and closes.
const SCRIPT = `
const net = require('node:net');
const server = net.createServer((socket) => {
  const talk = (ms) => new Promise((done) => {
    const timer = setInterval(() => socket.write('x'), 5);
    setTimeout(() => { clearInterval(timer); done(); }, ms);
  });
  const quiet = (ms) => new Promise((done) => setTimeout(done, ms));
  talk(1200).then(() => quiet(2500)).then(() => talk(1200)).then(() => socket.end());
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

const testbed = new EmulatedTestbed({
  freezer: 'auto',
  priority: 'auto',
  tracking: 'none',
  adaptive: POLICY,
});
afterAll(() => testbed.dispose());

describe('adaptive checkpoint schedule', { timeout: 60_000 }, () => {
  it('halves the next epoch after one that held output, doubles it after a silent one, within bounds', () => {
    expect(nextEpochMs(POLICY, 80, 1)).toBe(40);
    expect(nextEpochMs(POLICY, 80, 0)).toBe(160);
    expect(nextEpochMs(POLICY, 20, 5)).toBe(20);
    expect(nextEpochMs(POLICY, 320, 0)).toBe(320);
    expect(nextEpochMs(POLICY, 30, 9)).toBe(20);
  });

  it('on a guest that talks, falls silent and talks again: epochs shorten, lengthen and shorten', async () => {
    const session = await testbed.startGuest({ label: 'adaptive-test' });
    try {
      const server = session.guest.spawn([process.execPath, '-e', SCRIPT]);
      const port = Number((await server.waitForLine(/^listening (\d+)$/, 10_000))[1]);
      const endpoint = await session.guest.endpoint(port);
      const protection = await session.protect('adaptive');
      const received: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const socket = connect(endpoint.port, endpoint.host);
        socket.on('data', (chunk) => received.push(chunk.length));
        socket.once('end', () => resolve());
        socket.once('error', reject);
      });
      const report = await protection.stop();
      const records: CheckpointRecord[] = report.checkpoints;
      const epochs = records.map((r) => r.epochMs as number);
      // Every epoch's length follows from the one before: the rule, checkpoint by checkpoint.
      expect(epochs[0]).toBe(POLICY.initialMs);
      for (let i = 1; i < records.length; i++) {
        const before = records[i - 1] as CheckpointRecord;
        expect(epochs[i]).toBe(nextEpochMs(POLICY, before.epochMs as number, before.releasedBytes));
      }
      // Talking: down to the lower bound; the silence: up to the upper bound; talking again: down.
      const firstMin = epochs.indexOf(POLICY.minMs);
      const max = epochs.indexOf(POLICY.maxMs, firstMin);
      const secondMin = epochs.indexOf(POLICY.minMs, max);
      expect(firstMin).toBeGreaterThan(0);
      expect(max).toBeGreaterThan(firstMin);
      expect(secondMin).toBeGreaterThan(max);
      expect(report.summary.adaptive?.policy).toEqual(POLICY);
      expect(report.summary.adaptive?.shortened).toBeGreaterThanOrEqual(4);
      expect(report.summary.adaptive?.lengthened).toBeGreaterThanOrEqual(4);
      // Nothing of the guest's output was lost on the way: 2 x 1.2 s of a byte every 5 ms.
      const bytes = received.reduce((sum, n) => sum + n, 0);
      expect(bytes).toBeGreaterThan(400);
      expect(records.reduce((sum, r) => sum + r.releasedBytes, 0)).toBe(bytes);
    } finally {
      await session.stop();
    }
  });
});

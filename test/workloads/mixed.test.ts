import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import { openHttpChannel } from '../../workloads/mixed/http-channel.ts';
import { mixedWorkload } from '../../workloads/mixed/index.ts';
import { runWorkloadTrial } from '../helpers/workload-trial.ts';

const SERVER = fileURLToPath(new URL('../../workloads/mixed/guest/mixed-server.mjs', import.meta.url));
const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
afterAll(() => testbed.dispose());

/** The real server on loopback, stopped afterwards. */
async function withServer<T>(workIterations: number, use: (port: number) => Promise<T>): Promise<T> {
  const child = spawn(
    process.execPath,
    [SERVER, '--port', '0', '--work-iterations', String(workIterations)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    return await use(port);
  } finally {
    child.kill('SIGTERM');
  }
}

/** Sends `count` requests back to back on one connection (pipelined); the seqs and ms to the last reply. */
async function pipelined(port: number, count: number): Promise<{ seqs: number[]; ms: number }> {
  const channel = await openHttpChannel({ host: '127.0.0.1', port });
  const seqs: number[] = [];
  const began = performance.now();
  await new Promise<void>((resolve) => {
    channel.onMessage((message) => {
      seqs.push(message.readUInt32LE(0));
      if (seqs.length === count) resolve();
    });
    for (let seq = 0; seq < count; seq++) {
      const message = Buffer.alloc(4);
      message.writeUInt32LE(seq, 0);
      channel.send(message);
    }
  });
  channel.close();
  return { seqs, ms: performance.now() - began };
}

describe('mixed workload', { timeout: 120_000 }, () => {
  it('the server answers pipelined requests in order, each after its CPU work', async () => {
    const light = await withServer(0, (port) => pipelined(port, 20));
    const heavy = await withServer(20_000_000, (port) => pipelined(port, 20));
    expect(light.seqs).toEqual([...Array(20).keys()]);
    expect(heavy.seqs).toEqual([...Array(20).keys()]);
    // 20 x 20 M xorshift rounds: 0.8 ms per 400 k here, so about 800 ms of work, done one by one.
    expect(heavy.ms).toBeGreaterThan(light.ms + 200);
    const reply = await withServer(1000, async (port) =>
      (await fetch(`http://127.0.0.1:${port}/work/42`)).text(),
    );
    expect(reply).toMatch(/^0000002a[0-9a-f]{8}$/);
  });

  it('measures request time from due times: output commit adds to it, replies keep the rate', async () => {
    const module = mixedWorkload.configure({ ratePerS: 97, workIterations: 400_000, timeoutMs: 2000 });
    const trial = async (intervalMs: number | null) =>
      (
        await runWorkloadTrial(testbed, module, intervalMs, {
          label: 'mixed-test',
          warmupS: 0.5,
          durationS: 2,
        })
      ).metrics;
    const baseline = await trial(null);
    const protectedRun = await trial(100);
    // 194 requests in 2 s at 97/s, every one answered.
    expect(baseline.requests).toBe(194);
    expect(baseline.lost).toBe(0);
    expect(baseline.replies_per_s).toBeCloseTo(97, 0);
    expect(baseline.work_iterations_per_s).toBe(Math.round((baseline.replies_per_s as number) * 400_000));
    // Unprotected: the work (about 0.8 ms) and loopback; at 100 ms a reply waits for its checkpoint
    // to commit, on average half an interval.
    expect(baseline.rtt_p50_us).toBeLessThan(20_000);
    expect(protectedRun.rtt_p50_us).toBeGreaterThan((baseline.rtt_p50_us as number) + 20_000);
    expect(protectedRun.lost).toBe(0);
  });
});

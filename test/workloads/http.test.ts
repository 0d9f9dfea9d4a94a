import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import { httpWorkload } from '../../workloads/http/index.ts';
import { requireTools } from '../helpers/tools.ts';
import { runWorkloadTrial } from '../helpers/workload-trial.ts';

const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
afterAll(() => testbed.dispose());

async function httpTrial(
  intervalMs: number | null,
  connections: number,
  server: 'node' | 'busybox' = 'node',
) {
  const module = httpWorkload.configure({ connections, bodyBytes: 64, timeoutS: 10, server });
  await requireTools(module.requiredTools);
  const run = await runWorkloadTrial(testbed, module, intervalMs, {
    label: 'http-test',
    warmupS: 0,
    durationS: 2,
  });
  const metrics: Record<string, number> = { ...run.metrics };
  metrics.effectiveRateHz = run.report?.summary.effectiveRateHz ?? 0;
  return metrics;
}

describe('http workload: Node server in the guest, autocannon outside, through output commit', {
  timeout: 60_000,
}, () => {
  it('serves thousands of requests/s unprotected, and one request per connection per epoch protected', async () => {
    const baseline = await httpTrial(null, 4);
    expect(baseline.requests_per_s).toBeGreaterThan(1000);
    expect(baseline.errors).toBe(0);
    expect(baseline.non_2xx).toBe(0);
    // Each connection is closed-loop: a reply is released only at the next commit, so at 50 ms a
    // connection completes one request per checkpoint: 4 connections x (at most 20 checkpoints/s;
    // fewer when copying the server's memory makes the controller skip boundaries). A reply that
    // misses its epoch's seal waits one more: on a loaded machine 69 % of the bound was measured
    // (a fresh machine's full suite), so the floor says "not stalled", the ceiling "held".
    const protectedRun = await httpTrial(50, 4);
    const perCheckpoints = 4 * (protectedRun.effectiveRateHz ?? 0);
    expect(protectedRun.effectiveRateHz).toBeGreaterThan(10);
    expect(protectedRun.requests_per_s).toBeGreaterThan(0.6 * perCheckpoints);
    expect(protectedRun.requests_per_s).toBeLessThanOrEqual(84);
    expect(protectedRun.errors).toBe(0);
  });

  it('serves the same way from busybox httpd (the server of guests without node, as in the Xen lab)', async () => {
    const baseline = await httpTrial(null, 4, 'busybox');
    expect(baseline.requests_per_s).toBeGreaterThan(200);
    expect(baseline.errors).toBe(0);
    expect(baseline.non_2xx).toBe(0);
    // 64-byte body plus headers per response.
    expect((baseline.throughput_bytes_per_s as number) / (baseline.requests_per_s as number)).toBeGreaterThan(
      64,
    );
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import { httpWorkload } from '../../workloads/http/index.ts';

const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
afterAll(() => testbed.dispose());

async function httpTrial(intervalMs: number | null, connections: number) {
  const session = await testbed.startGuest({ label: `http-test-${intervalMs ?? 'base'}` });
  const workload = httpWorkload({ connections, bodyBytes: 64, timeoutS: 10 }).create();
  try {
    await workload.prepare(session.guest, new AbortController().signal);
    const protection = intervalMs === null ? null : await session.protect(intervalMs);
    const result = await workload.trial({
      guest: session.guest,
      warmupS: 0,
      durationS: 2,
      signal: new AbortController().signal,
      artifactsDir: mkdtempSync(join(tmpdir(), 'rb-http-')),
      protection,
    });
    await protection?.stop();
    return Object.fromEntries(result.measurements.map((m) => [m.metric, m.value]));
  } finally {
    await workload.teardown();
    await session.stop();
  }
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
    // connection completes at most one request per epoch: 4 connections x 20 epochs/s = 80 req/s.
    const protectedRun = await httpTrial(50, 4);
    expect(protectedRun.requests_per_s).toBeGreaterThan(60);
    expect(protectedRun.requests_per_s).toBeLessThanOrEqual(84);
    expect(protectedRun.errors).toBe(0);
  });
});

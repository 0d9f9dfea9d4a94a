import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestbedUnsafeError } from '../../harness/errors.ts';
import { runTrial } from '../../harness/run/trial.ts';
import type { Testbed } from '../../harness/testbeds/testbed.ts';
import type { Guest, Protection, ProtectionReport } from '../../harness/testbeds/types.ts';
import type { WorkloadModule } from '../../workloads/types.ts';

// The order of a failed trial's clean-up, with the stages as plain objects: which failure leads
// the reason when the workload and the replication under it both fail. The real case (xl remus
// killed on a Xen host, the guest left suspended, the client timing out) is the Xen lab's test.

const artifactsDir = mkdtempSync(join(tmpdir(), 'rb-trial-'));
afterAll(() => rmSync(artifactsDir, { recursive: true, force: true }));

const WORKLOAD_ERROR = 'cannot connect to the guest (ETIMEDOUT)';

function stages(stopProtection: () => Promise<ProtectionReport>) {
  const calls: string[] = [];
  const protection: Protection = {
    stop: () => {
      calls.push('stop protection');
      return stopProtection();
    },
  };
  const guest = {} as Guest;
  const testbed = {
    name: 'plain',
    startGuest: async () => ({
      guest,
      protect: async () => protection,
      stop: async () => {
        calls.push('stop guest');
      },
    }),
  } as unknown as Testbed;
  const module = {
    name: 'latency',
    create: () => ({
      name: 'latency',
      metrics: [],
      prepare: async () => {},
      trial: async () => {
        throw new Error(WORKLOAD_ERROR);
      },
      teardown: async () => {
        calls.push('teardown workload');
      },
    }),
  } as unknown as WorkloadModule;
  return { calls, testbed, module };
}

const spec = { trialId: 't1', intervalMs: 100, warmupS: 0, durationS: 1, artifactsDir };

describe('a trial whose workload fails under protection', () => {
  it('names the replication fault first when stopping protection finds one; stops it once', async () => {
    const { calls, testbed, module } = stages(async () => {
      throw new Error('xl remus on the primary ended during the trial: it was killed.');
    });
    const outcome = await runTrial(spec, testbed, module, new AbortController().signal);
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'done') return;
    expect(outcome.reason).toBe(
      `xl remus on the primary ended during the trial: it was killed. The latency workload failed meanwhile: ${WORKLOAD_ERROR}`,
    );
    expect(outcome.stopRun).toBeUndefined();
    expect(outcome.cleanupWarnings).toEqual([]);
    expect(calls).toEqual(['stop protection', 'teardown workload', 'stop guest']);
  });

  it('a fault that leaves the hosts unsafe stops the run', async () => {
    const { testbed, module } = stages(async () => {
      throw new TestbedUnsafeError('two live copies of the guest');
    });
    const outcome = await runTrial(spec, testbed, module, new AbortController().signal);
    if (outcome.status === 'done') throw new Error('the trial should have failed');
    expect(outcome.reason).toMatch(/^two live copies of the guest\. The latency workload failed meanwhile/);
    expect(outcome.stopRun).toBe('two live copies of the guest');
  });

  it("keeps the workload's own reason when protection stops as usual", async () => {
    const { calls, testbed, module } = stages(async () => ({}) as ProtectionReport);
    const outcome = await runTrial(spec, testbed, module, new AbortController().signal);
    if (outcome.status === 'done') throw new Error('the trial should have failed');
    expect(outcome.reason).toBe(WORKLOAD_ERROR);
    expect(calls).toEqual(['stop protection', 'teardown workload', 'stop guest']);
  });
});

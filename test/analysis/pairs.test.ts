import { describe, expect, it } from 'vitest';
import { pairBreakdown } from '../../analysis/pairs.ts';
import type { RunData } from '../../analysis/run-data.ts';
import { placementOf, planConfig, planDifferences } from '../../harness/config/plan-identity.ts';
import { DEFAULT_CONFIG } from '../../harness/config/presets.ts';
import type { Config } from '../../harness/config/schema.ts';
import type { Manifest, ShardRecord } from '../../harness/store/manifest.ts';
import { sampleRow } from '../helpers/sample-row.ts';

const row = (trialId: string, value: number) =>
  sampleRow(trialId, value, { runId: 'merged', testbed: 'xen', intervalMs: 100 });

const shard = (index: number, label: string, trials: string[]): ShardRecord => ({
  index,
  count: 2,
  runId: `shard-${index}`,
  dir: `/results/shard-${index}`,
  placement: { id: label, label },
  harnessHosts: ['node'],
  trials,
});

/** A merged run: cell cpu@100ms, trials 1-8 on pair A and 9-16 on pair B, values from `valueAt`. */
function mergedRun(valueAt: (trial: number) => number): RunData {
  const ids = Array.from({ length: 16 }, (_, i) => `cpu@100ms#${i + 1}`);
  const manifest = {
    config: DEFAULT_CONFIG,
    metrics: { cpu: [{ name: 'events_per_s', unit: 'events/s', better: 'higher', primary: true }] },
    shards: [shard(1, 'pair A', ids.slice(0, 8)), shard(2, 'pair B', ids.slice(8))],
  } as unknown as Manifest;
  return {
    dir: '/results/merged',
    manifest,
    state: null,
    rows: ids.map((id, i) => row(id, valueAt(i + 1))),
    histograms: new Map(),
    checkpointCosts: new Map(),
    warnings: [],
  };
}

describe('a cell broken down by host pair', () => {
  it('says the pairs differ when one pair measures 10 % higher', () => {
    // Pair A around 1000, pair B around 1100, a few % of noise each.
    const noise = (t: number) => ((t * 37) % 11) - 5;
    const [cell] = pairBreakdown(
      mergedRun((t) => (t <= 8 ? 1000 : 1100) + noise(t)),
      0.95,
    );
    expect(cell?.pairs.map((p) => [p.label, p.n])).toEqual([
      ['pair A', 8],
      ['pair B', 8],
    ]);
    expect(cell?.pairs[0]?.mean).toBeCloseTo(1000, -1);
    expect(cell?.pairs[1]?.mean).toBeCloseTo(1100, -1);
    expect(cell?.differ).toBe(true);
    expect(cell?.strongest?.p).toBeLessThan(1e-6);
  });

  it('does not when both pairs draw from one distribution', () => {
    // The same values, interleaved between the pairs.
    const values = [990, 1010, 1003, 997, 1008, 992, 1001, 999];
    const [cell] = pairBreakdown(
      mergedRun((t) => values[(t - 1) % 8] as number),
      0.95,
    );
    expect(cell?.differ).toBe(false);
    expect(cell?.strongest?.p).toBeGreaterThan(0.5);
  });

  it('is empty for a run on one pair', () => {
    const data = mergedRun(() => 1);
    data.manifest.shards = data.manifest.shards?.map((s) => ({
      ...s,
      placement: { id: 'one', label: 'one' },
    }));
    expect(pairBreakdown(data, 0.95)).toEqual([]);
  });
});

describe('plan and placement', () => {
  const xen = (port: number, logDir: string): Config =>
    ({
      ...DEFAULT_CONFIG,
      testbed: {
        kind: 'xen',
        xen: {
          primary: { host: 'dom0-a', port, user: 'root', knownHosts: '/k' },
          backup: { host: 'dom0-b', port, user: 'root', knownHosts: '/k' },
          backupAddress: 'dom0-b',
          transport: 'ssh',
          guest: {
            domain: 'g',
            address: '10.0.0.2',
            ssh: { host: '10.0.0.2', port: 22, user: 'u', knownHosts: '/k' },
          },
          remus: { unsafe: { noNetbuf: true, noDiskReplication: false, blackhole: false }, logDir },
          readyTimeoutS: 30,
        },
      },
    }) as Config;

  it('hosts, ports and log folders are where a plan runs; Remus flags and the matrix define it', () => {
    const a = xen(22, '/var/log/a');
    const b = xen(2222, '/var/log/b');
    expect(planDifferences(a, b)).toEqual([]);
    expect(placementOf(a, 'h').id).not.toBe(placementOf(b, 'h').id);
    expect(placementOf(b, 'h').label).toBe('root@dom0-a:2222 -> root@dom0-b:2222 (guest g)');
    const buffered = structuredClone(b);
    (buffered.testbed.xen as NonNullable<Config['testbed']['xen']>).remus.unsafe.noNetbuf = false;
    expect(planDifferences(a, buffered)).toEqual(['testbed.xen.remus.unsafe.noNetbuf']);
    expect(planDifferences(a, { ...b, matrix: { ...b.matrix, seed: 9 } })).toEqual(['matrix.seed']);
    // The config itself is left as it was.
    expect(a.testbed.xen?.primary.port).toBe(22);
    expect(JSON.stringify(planConfig(a))).not.toContain('dom0-a');
  });

  it('the embedded testbed runs where the harness runs', () => {
    expect(placementOf(DEFAULT_CONFIG, 'node-7').label).toBe('emulated testbed on node-7');
    expect(placementOf(DEFAULT_CONFIG, 'node-7').id).not.toBe(placementOf(DEFAULT_CONFIG, 'node-8').id);
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { expectMergedEqualsPlan, unshardedPlan } from '../helpers/merged-run.ts';
import { SSHD } from '../helpers/sshd.ts';
import { startXenTestHosts, type XenTestHosts } from '../helpers/xen-hosts.ts';

/**
 * Shards of one plan run on three host pairs: three pairs of real OpenSSH "dom0s" with the `xl`
 * stand-in, each pair with its own ports, keys, known_hosts and log folder, so the three configs
 * differ only in where they run. Each shard writes into its own results folder, as on its own
 * machine; `merge` joins them.
 */
const canRun = existsSync(SSHD) && process.getuid?.() === 0;
const MATRIX = ['--testbed', 'xen', '--workloads', 'cpu', '--intervals', '100', '--trials', '2'];
const TIMES = ['--duration', '1', '--warmup', '0'];

describe.skipIf(!canRun)('shards of one plan on three host pairs', { timeout: 300_000 }, () => {
  const pairs: XenTestHosts[] = [];
  let scratch: string;
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) pairs.push(await startXenTestHosts());
    scratch = mkdtempSync(join(tmpdir(), 'rb-shard-pairs-'));
  });
  afterAll(async () => {
    await Promise.allSettled(pairs.map((p) => p.stop()));
  });

  const configOf = (i: number) => {
    const path = join(scratch, `pair-${i + 1}.json`);
    writeFileSync(
      path,
      JSON.stringify({ testbed: { kind: 'xen', xen: (pairs[i] as XenTestHosts).config }, retries: 0 }),
    );
    return path;
  };
  const runShard = async (i: number, extra: string[] = []) => {
    const results = join(scratch, `results-${i + 1}${extra.length ? '-other' : ''}`);
    const { code, output } = await runCli([
      'experiment',
      '--config',
      configOf(i),
      ...MATRIX,
      ...TIMES,
      ...extra,
      '--shard',
      `${i + 1}/3`,
      '--results',
      results,
    ]);
    expect(code, output).toBe(0);
    return join(results, readdirSync(results).find((n) => !n.startsWith('.')) as string);
  };

  it('merge into the cells, trials and order of the unsharded plan; another plan is refused', async () => {
    const configs = pairs.map((p) => p.config);
    // Where they run differs; nothing else.
    expect(new Set(configs.map((c) => c.primary.port)).size).toBe(3);
    const shardDirs: string[] = [];
    for (let i = 0; i < 3; i++) shardDirs.push(await runShard(i));

    const out = join(scratch, 'merged');
    const merged = await runCli(['merge', ...shardDirs, '--out', out]);
    expect(merged.code, merged.output).toBe(0);
    expect(merged.output).toMatch(/The trials ran on 3 host pairs/);

    const unsharded = unshardedPlan(configOf(0), null, {
      testbed: 'xen',
      workloads: 'cpu',
      intervals: '100',
      trials: '2',
      duration: '1',
      warmup: '0',
    });
    const manifest = expectMergedEqualsPlan(out, unsharded, 2);

    // The merged manifest lists every pair and which trials ran where.
    const shards = manifest.shards ?? [];
    expect(shards.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(new Set(shards.map((s) => s.placement.id)).size).toBe(3);
    shards.forEach((s, i) => {
      expect(s.placement.label).toContain(`:${(pairs[i] as XenTestHosts).primary.port} -> `);
    });
    expect(shards.flatMap((s) => s.trials).sort()).toEqual(unsharded.order.map((t) => t.id).sort());

    // The report names the pairs: a warning that machines are mixed, and the by-pair table.
    const report = await runCli(['report', out, '--no-pdf']);
    expect(report.code, report.output).toBe(0);
    expect(report.output).toMatch(/merges 3 shards run on 3 host pairs/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>By host pair</h2>');
    for (const s of shards) expect(html).toContain(s.placement.label.replaceAll('>', '&gt;'));

    // A shard of another plan (another interval) is refused, naming the field.
    const other = await runShard(1, ['--intervals', '200']);
    const refused = await runCli(['merge', shardDirs[0] as string, other, '--out', join(scratch, 'never')]);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toMatch(
      /Refusing to merge:\n\s+- .* is of another plan than .*: matrix\.intervals differ/,
    );
    expect(existsSync(join(scratch, 'never', 'manifest.json'))).toBe(false);
  });
});

import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/store/manifest.ts';
import { runCli } from '../helpers/cli.ts';
import { expectMergedEqualsPlan, unshardedPlan } from '../helpers/merged-run.ts';

const FAST = ['--matrix', 'quick', '--trials', '3', '--duration', '1', '--warmup', '0'];

describe('--shard i/n and merge', { timeout: 240_000 }, () => {
  it('4 shards of the quick matrix merge into the cells and trial counts of one unsharded run', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-shards-'));
    const config = join(mkdtempSync(join(tmpdir(), 'rb-shards-cfg-')), 'fast.json');
    writeFileSync(config, JSON.stringify({ workloads: { latency: { closedLoopS: 0 } } }));
    const shardDirs: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const before = new Set(readdirSync(results));
      const { code, output } = await runCli([
        'experiment',
        '--config',
        config,
        ...FAST,
        '--shard',
        `${i}/4`,
        '--results',
        results,
      ]);
      expect(code, output).toBe(0);
      shardDirs.push(
        join(
          results,
          readdirSync(results).find((n) => !before.has(n) && n !== '.remus-bench.lock') as string,
        ),
      );
    }
    const trialsPerShard = shardDirs.map(
      (d) => (JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as Manifest).order.length,
    );
    expect(trialsPerShard).toEqual([5, 5, 4, 4]);

    const out = join(results, 'merged');
    const merged = await runCli(['merge', ...shardDirs, '--out', out]);
    expect(merged.code, merged.output).toBe(0);

    // The unsharded plan of the same configuration, for comparison.
    const unsharded = unshardedPlan(config, 'quick', { trials: '3', duration: '1', warmup: '0' });
    expectMergedEqualsPlan(out, unsharded, 3);

    // Shards of another plan are refused.
    const foreign = join(results, 'foreign');
    cpSync(shardDirs[1] as string, foreign, { recursive: true });
    const foreignManifest = JSON.parse(readFileSync(join(foreign, 'manifest.json'), 'utf8')) as Manifest;
    writeFileSync(
      join(foreign, 'manifest.json'),
      JSON.stringify({
        ...foreignManifest,
        config: { ...foreignManifest.config, matrix: { ...foreignManifest.config.matrix, durationS: 2 } },
      }),
    );
    const refused = await runCli(['merge', shardDirs[0] as string, foreign, '--out', join(results, 'never')]);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(
      /Refusing to merge:\n\s+- .*foreign is of another plan than .*: matrix\.durationS differ/,
    );

    // Of the same plan, but measured with another mechanism (another host's freezer): refused too.
    const elsewhere = join(results, 'elsewhere');
    cpSync(shardDirs[1] as string, elsewhere, { recursive: true });
    const moved = structuredClone(foreignManifest);
    for (const session of moved.sessions) session.testbed.mechanisms.freezer = 'a-freezer-of-another-host';
    writeFileSync(join(elsewhere, 'manifest.json'), JSON.stringify(moved));
    const mixed = await runCli(['merge', shardDirs[0] as string, elsewhere, '--out', join(results, 'never')]);
    expect(mixed.code).toBe(2);
    expect(mixed.output).toMatch(
      /elsewhere measured with another freezer \("a-freezer-of-another-host"\) than .*: its numbers are not of the same experiment/,
    );
  });
});

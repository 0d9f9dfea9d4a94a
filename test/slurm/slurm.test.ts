import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { expectMergedEqualsPlan, unshardedPlan } from '../helpers/merged-run.ts';
import { jobLog, SLURM_PROGRAMS, startSlurm, type TestSlurm } from '../helpers/slurm.ts';

/**
 * The shard contract under a real scheduler: Debian's Slurm (slurmctld + slurmd + munged, one
 * node, started here) runs slurm/shard.sbatch as a job array of three shards of the quick matrix
 * on the embedded testbed, and slurm/merge.sbatch as a job that depends on the array. One task is
 * cancelled mid-run (scancel: SIGTERM to every process of the job) and submitted again, which
 * resumes it; the merge after it gives the unsharded plan's run.
 */
const canRun = SLURM_PROGRAMS.every((p) => existsSync(p)) && process.getuid?.() === 0;
const FLAGS = ['--matrix', 'quick', '--trials', '2', '--duration', '1', '--warmup', '0'];

describe('the Slurm job scripts', () => {
  it('are in README as they are in slurm/ (what the test below runs)', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const script of ['shard.sbatch', 'merge.sbatch']) {
      const text = readFileSync(join(PROJECT_ROOT, 'slurm', script), 'utf8');
      expect(readme).toContain(`\`slurm/${script}\`:\n\n\`\`\`bash\n${text}\`\`\``);
    }
  });
});

describe.skipIf(!canRun)('Slurm: a job array of shards and a dependent merge', { timeout: 600_000 }, () => {
  let slurm: TestSlurm;
  let scratch: string;
  beforeAll(async () => {
    slurm = await startSlurm();
    scratch = mkdtempSync(join(tmpdir(), 'rb-slurm-run-'));
  });
  afterAll(() => slurm?.stop());

  it('runs the shards, reports a cancelled one, resumes it when submitted again, and merges', async () => {
    const results = join(scratch, 'results');
    // One config per task, as one per host pair (the embedded testbed: the same settings).
    const config = join(scratch, 'pair-1.json');
    for (const task of [1, 2, 3])
      writeFileSync(
        join(scratch, `pair-${task}.json`),
        JSON.stringify({ workloads: { latency: { closedLoopS: 0 } } }),
      );
    const night = 'night-1';
    const common = [
      `--export=ALL,RB_NIGHT=${night},RB_SHARDS=3,RB_RESULTS=${results},RB_PAIR_CONFIG=${scratch}/pair-%a.json`,
      `--chdir=${PROJECT_ROOT}`,
    ];
    const shardArgs = ['slurm/shard.sbatch', ...FLAGS];

    const array = slurm.sbatch(['--array=1-3', ...common, `--output=${scratch}/shard-%a.log`, ...shardArgs]);
    const merge = slurm.sbatch([
      `--dependency=afterany:${array}`,
      ...common,
      `--output=${scratch}/merge-1.log`,
      'slurm/merge.sbatch',
    ]);
    // Cancel task 2 once its first trial has started.
    const deadline = Date.now() + 300_000;
    while (!/\[1\/4\] cell/.test(jobLog(`${scratch}/shard-2.log`))) {
      expect(Date.now(), jobLog(`${scratch}/shard-2.log`)).toBeLessThan(deadline);
      await sleep(200);
    }
    slurm.scancel(`${array}_2`);

    const tasks = await slurm.waitEnded(array, 300_000);
    const byTask = new Map(tasks.map((t) => [t.arrayTaskId, t]));
    expect(byTask.get('1')).toMatchObject({ state: 'COMPLETED', exitCode: '0:0' });
    expect(byTask.get('3')).toMatchObject({ state: 'COMPLETED', exitCode: '0:0' });
    expect(byTask.get('2')?.state).toBe('CANCELLED');
    // The cancelled shard stopped as a supervisor's stop: Remus and the guest stopped, resumable.
    expect(jobLog(`${scratch}/shard-2.log`)).toMatch(/npm run experiment -- --resume /);

    const [firstMerge] = await slurm.waitEnded(merge, 120_000);
    const firstLog = jobLog(`${scratch}/merge-1.log`);
    expect(firstMerge, firstLog).toMatchObject({ state: 'FAILED', exitCode: '1:0' });
    expect(firstLog).toMatch(/Merged 3 of 3 shards/);
    expect(firstLog).toMatch(/Warning: shard 2 \(.*shard-2.*\) has \d+ unfinished trial\(s\); resume it/);
    // Incomplete: reported where it is, kept out of the nightly history.
    expect(existsSync(join(results, night, `merged-${merge}`, 'report.html'))).toBe(true);
    expect(existsSync(join(results, 'nightly'))).toBe(false);

    // Submitted again (task 2 alone), the shard resumes its run; a merge after it is complete.
    const retry = slurm.sbatch([
      '--array=2',
      ...common,
      `--output=${scratch}/shard-2-retry.log`,
      ...shardArgs,
    ]);
    const merge2 = slurm.sbatch([
      `--dependency=afterany:${retry}`,
      ...common,
      `--output=${scratch}/merge-2.log`,
      'slurm/merge.sbatch',
    ]);
    const [retried] = await slurm.waitEnded(retry, 300_000);
    expect(retried, jobLog(`${scratch}/shard-2-retry.log`)).toMatchObject({
      state: 'COMPLETED',
      exitCode: '0:0',
    });
    expect(jobLog(`${scratch}/shard-2-retry.log`)).toMatch(/Resumed by pid \d+: experiment --resume /);
    expect(readdirSync(join(results, night, 'shard-2')).filter((n) => !n.startsWith('.'))).toHaveLength(1);
    const [secondMerge] = await slurm.waitEnded(merge2, 180_000);
    const secondLog = jobLog(`${scratch}/merge-2.log`);
    expect(secondMerge, secondLog).toMatchObject({ state: 'COMPLETED', exitCode: '0:0' });

    const unsharded = unshardedPlan(config, 'quick', { trials: '2', duration: '1', warmup: '0' });
    const mergedDir = join(results, 'nightly', `${night}-${merge2}`);
    const manifest = expectMergedEqualsPlan(mergedDir, unsharded, 2);
    expect(manifest.shards?.map((s) => s.index)).toEqual([1, 2, 3]);
    for (const file of ['report.html', 'report.pdf', 'cells.csv'])
      expect(existsSync(join(mergedDir, file))).toBe(true);
    expect(readdirSync(join(results, 'nightly'))).toEqual([`${night}-${merge2}`]);
  });
});

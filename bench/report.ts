/**
 * Report generation time and peak memory for a run with 10,000 trials (synthetic data in the stored
 * format: 2 workloads x (baseline + 5 intervals) x 834 trials, 1,000-sample RTT histograms, and
 * each protected trial's checkpoints.json as memory replication stores it; REPORT_BENCH_CHECKPOINTS=0
 * leaves those out).
 * Each repetition runs in a fresh process; medians and ranges over the repetitions are printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../analysis/stats.ts';
import { PROJECT_ROOT } from '../harness/version.ts';
import { writeSyntheticRun } from './synthetic-run.ts';

/**
 * The node flags of `npm run report` (package.json), so that the bench measures what users run: a
 * young generation of 4 MB per semi-space (V8's default is 16) keeps the garbage of reading
 * thousands of trials (parsed rows, decoded histograms) from piling up before it is collected.
 */
function reportNodeFlags(): string[] {
  const scripts = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts ?? {};
  const words = String(scripts.report ?? '').split(/\s+/);
  const end = words.indexOf('--import');
  if (words[0] !== 'node' || end === -1)
    throw new Error(
      `package.json's report script "${scripts.report}" is not "node [flags] --import tsx ...".`,
    );
  return words.slice(1, end);
}

const REPETITIONS = Number(process.env.REPORT_BENCH_REPETITIONS ?? 3);
const TRIALS_PER_CELL = 834;

export async function benchReport(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-bench-run-'));
  const started = performance.now();
  writeSyntheticRun(dir, {
    intervals: [25, 50, 100, 200, 400],
    trials: TRIALS_PER_CELL,
    workloads: ['cpu', 'latency'],
    seed: 7,
    // As a run with memory replication stores them: every protected trial's checkpoints (5 s).
    memoryReplicated: process.env.REPORT_BENCH_CHECKPOINTS !== '0',
  });
  const trials = 12 * TRIALS_PER_CELL;
  console.log(
    `report bench: synthetic run of ${trials} trials written in ${((performance.now() - started) / 1000).toFixed(1)} s (${dir})`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const nodeFlags = reportNodeFlags();
  console.log(`node flags (as npm run report): ${nodeFlags.join(' ') || 'none'}`);
  const results: { times: Record<string, number>; maxRssKb: number; rows: number }[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const wall = performance.now();
    const line = execFileSync(
      process.execPath,
      [...nodeFlags, '--import', 'tsx', join(PROJECT_ROOT, 'bench/report-worker.ts'), dir],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
      },
    );
    const result = JSON.parse(line.trim().split('\n').at(-1) as string);
    results.push(result);
    console.log(
      `  run ${i + 1}: ${Object.entries(result.times as Record<string, number>)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
        .join(
          ', ',
        )}; process wall ${((performance.now() - wall) / 1000).toFixed(2)} s; peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MiB`,
    );
  }
  const stages = Object.keys(results[0]?.times ?? {});
  console.log(
    `report bench summary over ${REPETITIONS} runs (${results[0]?.rows} sample rows), median [min, max]:`,
  );
  for (const stage of [...stages, 'total']) {
    const values = results.map(
      (r) =>
        (stage === 'total' ? Object.values(r.times).reduce((a, b) => a + b, 0) : (r.times[stage] as number)) /
        1000,
    );
    console.log(
      `  ${stage.padEnd(8)} ${median(values).toFixed(2)} s [${Math.min(...values).toFixed(2)}, ${Math.max(...values).toFixed(2)}]`,
    );
  }
  const rss = results.map((r) => r.maxRssKb / 1024);
  console.log(
    `  peak RSS ${median(rss).toFixed(0)} MiB [${Math.min(...rss).toFixed(0)}, ${Math.max(...rss).toFixed(0)}]`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

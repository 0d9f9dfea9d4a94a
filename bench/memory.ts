import { execa } from 'execa';
import { percentile } from '../analysis/stats.ts';
import { choosePriority } from '../harness/testbeds/emulated/priority.ts';
import { PROJECT_ROOT } from '../harness/version.ts';

/**
 * Memory replication on the embedded testbed (issue 4's targets): pause and its parts, gather
 * throughput against a sequential read of as many bytes from the same process in the same run, and
 * scan time against the pause. Each case runs RUNS times in a fresh worker process; figures are
 * pooled medians and p99s, with the spread of the per-run medians.
 */
const CASES = [
  {
    name: '64 MB, 64 pages/ms, 25 ms (about 1,600 pages per epoch)',
    wsMB: 64,
    rate: 64,
    intervalMs: 25,
    epochs: 80,
  },
  {
    name: '512 MB, 100 pages/ms, 100 ms (about 10,000 pages per epoch)',
    wsMB: 512,
    rate: 100,
    intervalMs: 100,
    epochs: 30,
  },
];
const RUNS = 3;

interface WorkerResult {
  plan: { tracking: string; copy: string };
  rows: Record<string, number>[];
  sequentialUs: number[];
}

const med = (values: number[]) => percentile(values, 50);
const fmt = (us: number) => (us / 1000).toFixed(2);

export async function benchMemory(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('memory: skipped (needs root for the cgroup freezer and ptrace)');
    return;
  }
  const priority = await choosePriority('auto');
  console.log(`controller priority: ${priority.description}`);
  for (const c of CASES) {
    const runs: WorkerResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      const argv = [...priority.prefix, process.execPath, '--import', 'tsx', 'bench/memory-worker.ts'];
      const out = await execa(
        argv[0] as string,
        [...argv.slice(1), String(c.wsMB), String(c.rate), String(c.intervalMs), String(c.epochs)],
        {
          cwd: PROJECT_ROOT,
          timeout: 300_000,
        },
      );
      runs.push(JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as WorkerResult);
    }
    const rows = runs.flatMap((r) => r.rows);
    const col = (key: string) => rows.map((r) => r[key] as number);
    const perRun = (key: string) => runs.map((r) => med(r.rows.map((row) => row[key] as number)));
    const line = (key: string, label: string) => {
      const runsText = perRun(key).map(fmt).join(' / ');
      console.log(
        `  ${label.padEnd(10)} p50 ${fmt(med(col(key))).padStart(7)} ms  p99 ${fmt(percentile(col(key), 99)).padStart(7)} ms  (per-run medians ${runsText})`,
      );
    };
    console.log(
      `\n${c.name}: ${RUNS} runs x ${c.epochs} epochs; tracking ${runs[0]?.plan.tracking}, copy ${runs[0]?.plan.copy}`,
    );
    console.log(`  dirty pages per epoch: p50 ${med(col('pages'))}, p99 ${percentile(col('pages'), 99)}`);
    for (const key of ['freeze', 'scan', 'gather', 'thaw', 'pause', 'shipAck']) line(key, key);
    const gatherGBs = rows.map((r) => (r.bytes as number) / (r.gather as number) / 1000);
    const sequentialGBs = runs.flatMap((r) => {
      const bytes = med(r.rows.map((row) => row.bytes as number));
      return r.sequentialUs.map((us) => bytes / us / 1000);
    });
    const ratio = med(gatherGBs) / med(sequentialGBs);
    console.log(
      `  gather ${med(gatherGBs).toFixed(2)} GB/s vs sequential read of the same bytes ${med(sequentialGBs).toFixed(2)} GB/s (process_vm_readv, same process): ratio ${(ratio * 100).toFixed(0)} %`,
    );
    const scanShare = rows.map((r) => (r.scan as number) / (r.pause as number));
    console.log(`  scan / pause: p50 ${(med(scanShare) * 100).toFixed(0)} %`);
  }
}

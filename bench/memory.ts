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

/**
 * The same guest behind a backup link of 1 Gbit/s (Remus's testbed) and over loopback, at the
 * study's intervals: how far the effective checkpoint rate falls below the configured one.
 */
const LINK_MBIT = 1000;
// 16 pages/ms dirties 64 MB/s, below what the link carries (~119 MB/s of pages); 64 pages/ms
// dirties 256 MB/s, above it.
const LINK_CASES = [16, 64].flatMap((rate) =>
  [25, 100, 400].map((intervalMs) => ({
    wsMB: 64,
    rate,
    intervalMs,
    epochs: Math.max(10, Math.round(2000 / intervalMs)),
  })),
);

interface WorkerResult {
  plan: { tracking: string; copy: string };
  rows: Record<string, number>[];
  sequentialUs: number[];
  /** Schedule boundaries passed over while a checkpoint was still shipping. */
  skipped: number;
  /** From the first measured checkpoint's start to the last one's start. */
  measuredMs: number;
  link: string;
}

type BenchCase = { wsMB: number; rate: number; intervalMs: number; epochs: number };

async function runWorker(
  c: BenchCase,
  prefix: readonly string[],
  /** undefined: the pause cases; null: loopback on the controller's schedule; else the link's rate. */
  linkMbit?: number | null,
): Promise<WorkerResult> {
  const argv = [...prefix, process.execPath, '--import', 'tsx', 'bench/memory-worker.ts'];
  // The link cases run the controller's own schedule: what a run of the harness would see.
  const schedule = linkMbit === undefined ? [] : ['controller', ...(linkMbit ? [linkMbit] : [])];
  const args = [c.wsMB, c.rate, c.intervalMs, c.epochs, ...schedule].map(String);
  const out = await execa(argv[0] as string, [...argv.slice(1), ...args], {
    cwd: PROJECT_ROOT,
    timeout: 300_000,
  });
  return JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as WorkerResult;
}

/** Effective checkpoints/s against the configured rate, shaped link vs loopback, per interval. */
async function benchLink(prefix: readonly string[]): Promise<void> {
  console.log(
    `\nBackup link ${LINK_MBIT} Mbit/s (veth + tbf into the backup's own namespace) vs loopback; 64 MB working set; ${RUNS} runs each`,
  );
  for (const c of LINK_CASES) {
    for (const linkMbit of [LINK_MBIT, null]) {
      const runs: WorkerResult[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await runWorker(c, prefix, linkMbit));
      const effective = runs.map((r) => ((r.rows.length - 1) * 1000) / r.measuredMs).sort((a, b) => a - b);
      const rows = runs.flatMap((r) => r.rows);
      const col = (key: string) => rows.map((r) => r[key] as number);
      const configured = 1000 / c.intervalMs;
      const label = linkMbit ? `${linkMbit} Mbit/s` : 'loopback';
      console.log(
        `  ${String(c.rate).padStart(2)} pages/ms ${String(c.intervalMs).padStart(3)} ms ${label.padEnd(12)} effective ${med(effective).toFixed(1).padStart(5)}/s [${effective[0]?.toFixed(1)}, ${effective.at(-1)?.toFixed(1)}] of ${configured.toFixed(1)}/s (${((med(effective) / configured) * 100).toFixed(0)} %), boundaries skipped ${runs.map((r) => r.skipped).join('/')}; dirty pages p50 ${med(col('pages'))}; pause p50 ${fmt(med(col('pause')))} ms; ship+ack p50 ${fmt(med(col('shipAck')))} ms p99 ${fmt(percentile(col('shipAck'), 99))} ms`,
      );
    }
  }
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
    for (let run = 0; run < RUNS; run++) runs.push(await runWorker(c, priority.prefix));
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
  await benchLink(priority.prefix);
}

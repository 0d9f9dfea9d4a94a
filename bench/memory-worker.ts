/**
 * One memory-replication bench case, run in its own process (started by bench/memory.ts under
 * real-time priority when permitted, like the checkpoint controller). Prints one JSON line.
 *   node --import tsx bench/memory-worker.ts WS_MB PAGES_PER_MS INTERVAL_MS EPOCHS [SCHEDULE [LINK_MBIT]]
 * SCHEDULE `whole` (default) skips every boundary a checkpoint ran past, so each measured epoch
 * lasts one interval; `controller` is the checkpoint controller's own: a checkpoint less than one
 * interval late starts at once, later ones skip the boundaries that passed. With LINK_MBIT the
 * backup sits behind a shaped link of that rate (see shaped-link.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCProgram } from '../harness/setup/guest-programs.ts';
import { findCgroupMounts, readPids } from '../harness/testbeds/emulated/cgroup.ts';
import { openFreezer } from '../harness/testbeds/emulated/freezer.ts';
import { BackupLink } from '../harness/testbeds/emulated/memory/backup-link.ts';
import { buildMechanisms, chooseMemoryMechanisms } from '../harness/testbeds/emulated/memory/choose.ts';
import { MemoryReplicator } from '../harness/testbeds/emulated/memory/memory-replicator.ts';
import { RangeList } from '../harness/testbeds/emulated/memory/ranges.ts';
import { ShapedLink } from '../harness/testbeds/emulated/memory/shaped-link.ts';
import { monotonicMs, waitUntil } from '../harness/util/precise-wait.ts';

const [wsMB, rate, intervalMs, epochs] = process.argv.slice(2, 6).map(Number) as [
  number,
  number,
  number,
  number,
];
const schedule = process.argv[6] ?? 'whole';
const linkMbit = process.argv[7] ? Number(process.argv[7]) : null;
const root = findCgroupMounts().v2;
if (!root) throw new Error('the memory bench needs a cgroup v2 mount (run as root)');
const dir = join(root, `remus-bench-bench-${process.pid}`);
mkdirSync(dir);
const dirtier = await buildCProgram(
  fileURLToPath(new URL('../workloads/memory/guest/dirtier.c', import.meta.url)),
);
const guest: ChildProcess = spawn(
  'sh',
  [
    '-c',
    'echo $$ > "$0" && exec "$@"',
    join(dir, 'cgroup.procs'),
    dirtier,
    String(wsMB),
    String(rate),
    '600',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const ready = await new Promise<string>((resolve) => guest.stdout?.once('data', (d) => resolve(String(d))));
const base = Number.parseInt(ready.split(' ')[1] as string, 16);
const plan = await chooseMemoryMechanisms('auto');
const { tracker, gatherer } = buildMechanisms(plan);
const freezer = openFreezer({ kind: 'cgroup2', dir });
const shaped = linkMbit ? await ShapedLink.create(linkMbit) : null;
const replicator = new MemoryReplicator(
  () => freezer.members(),
  tracker,
  gatherer,
  await BackupLink.start(shaped),
);
replicator.prepare();
const rows: Record<string, number>[] = [];
const t0 = monotonicMs();
/** Boundaries passed over because a checkpoint was still shipping, and the measured window. */
let skipped = 0;
let measuredFrom = 0;
let lastStart = 0;
try {
  let boundary = 0;
  for (let epoch = 1; epoch <= epochs + 2; epoch++) {
    // Absolute schedule t0 + k x interval; boundaries that passed are skipped (see SCHEDULE).
    const now = monotonicMs();
    let next = boundary + 1;
    if (schedule === 'controller') {
      if (now > t0 + next * intervalMs + intervalMs)
        next += Math.floor((now - (t0 + next * intervalMs)) / intervalMs);
    } else next = Math.max(next, Math.ceil((now - t0) / intervalMs));
    if (epoch > 3) skipped += next - boundary - 1;
    boundary = next;
    await waitUntil(t0 + boundary * intervalMs);
    const begin = monotonicMs();
    if (epoch === 3) measuredFrom = begin;
    lastStart = begin;
    freezer.freeze();
    const frozen = monotonicMs();
    const stats = replicator.capture(epoch);
    const captured = monotonicMs();
    freezer.thaw();
    const thawed = monotonicMs();
    await replicator.commit(epoch);
    const acked = monotonicMs();
    // Epochs 1-2 copy everything (first sight, then first tracked); the steady state follows.
    if (epoch > 2) {
      rows.push({
        freeze: (frozen - begin) * 1000,
        scan: stats.scanUs,
        gather: stats.gatherUs,
        thaw: (thawed - captured) * 1000,
        pause: (thawed - begin) * 1000,
        shipAck: (acked - thawed) * 1000,
        pages: stats.dirtyPages,
        bytes: stats.copiedBytes,
      });
    }
  }
  const measuredMs = lastStart - measuredFrom;
  // Memory-bandwidth limit in the same run: one sequential read of the working set's first bytes,
  // as many as a median epoch gathered, from the same (frozen) process, with the same copy path.
  const sortedBytes = rows.map((r) => r.bytes as number).sort((a, b) => a - b);
  const medianBytes = sortedBytes[Math.floor(sortedBytes.length / 2)] as number;
  const pid = (freezer.members().sort((a, b) => a - b)[0] ?? 0) as number;
  const staging = Buffer.alloc(medianBytes);
  const sequential: number[] = [];
  freezer.freeze();
  for (let i = 0; i < 7; i++) {
    const one = new RangeList(1);
    one.push(base, base + medianBytes);
    const start = monotonicMs();
    gatherer.gather(pid, one, staging, 0);
    sequential.push((monotonicMs() - start) * 1000);
  }
  freezer.thaw();
  console.log(
    JSON.stringify({ plan, rows, sequentialUs: sequential, skipped, measuredMs, link: replicator.mechanism }),
  );
} finally {
  freezer.thaw();
  await replicator.close();
  for (const pid of readPids(dir)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && readPids(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  freezer.close();
  rmdirSync(dir);
}

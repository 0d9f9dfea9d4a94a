import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCProgram } from '../../harness/setup/guest-programs.ts';
import { findCgroupMounts, readPids } from '../../harness/testbeds/emulated/cgroup.ts';
import { type Freezer, openFreezer } from '../../harness/testbeds/emulated/freezer.ts';
import { BackupLink } from '../../harness/testbeds/emulated/memory/backup-link.ts';
import { buildMechanisms, chooseMemoryMechanisms } from '../../harness/testbeds/emulated/memory/choose.ts';
import { MemoryReplicator } from '../../harness/testbeds/emulated/memory/memory-replicator.ts';
import { PAGE_SIZE, readWritableRegions } from '../../harness/testbeds/emulated/memory/regions.ts';
import type { TrackingKind } from '../../harness/testbeds/emulated/memory/tracker.ts';

/**
 * Memory replication against ground truth, for every tracking mechanism this host offers:
 * a real guest (the page dirtier, with a forked child) logs every page it writes; at each checkpoint
 * the replica the backup acknowledged must equal the guest's memory as read at that freeze through
 * an independent path (/proc/PID/mem), and every logged page must have been copied (recall 1.0).
 */
const DIRTIER = fileURLToPath(new URL('../../workloads/memory/guest/dirtier.c', import.meta.url));
const cgroupRoot = findCgroupMounts().v2;
const EPOCHS = 16;

async function support(kind: TrackingKind): Promise<string | null> {
  try {
    await chooseMemoryMechanisms(kind);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
const kinds: [TrackingKind, string | null][] = [];
for (const kind of ['uffd-wp', 'soft-dirty', 'full-compare'] as const)
  kinds.push([kind, await support(kind)]);

/** SHA-256 of every writable region of `pid`, read through /proc/PID/mem (not the copy path under test). */
function snapshot(pid: number): { start: number; end: number; sha256: string }[] {
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    return readWritableRegions(pid).map((r) => {
      const bytes = Buffer.alloc(r.end - r.start);
      readSync(fd, bytes, 0, bytes.length, r.start);
      return { ...r, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
  } finally {
    closeSync(fd);
  }
}

/** The page indices the dirtier logged, entries [from, to). */
function loggedPages(logPath: string): Uint32Array {
  const bytes = readFileSync(logPath);
  const count = Number(bytes.readBigUInt64LE(0));
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset + 8, bytes.byteOffset + 8 + count * 4));
}

describe.skipIf(!cgroupRoot || process.getuid?.() !== 0)('memory replication (root, cgroup v2)', () => {
  let dirtier = '';
  beforeAll(async () => {
    dirtier = await buildCProgram(DIRTIER);
  });

  for (const [kind, problem] of kinds) {
    it.skipIf(problem !== null)(
      `${kind}: replica equals the guest at every acked checkpoint; recall 1.0`,
      async () => {
        const dir = join(cgroupRoot as string, `remus-bench-test-${process.pid}-${kind}`);
        const work = mkdtempSync(join(tmpdir(), 'rb-replication-'));
        const log = join(work, 'log');
        mkdirSync(dir);
        const started: ChildProcess[] = [];
        const startInCgroup = (argv: string[]) => {
          const child = spawn(
            'sh',
            ['-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs'), ...argv],
            {
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          started.push(child);
          return child;
        };
        let freezer: Freezer | null = null;
        let replicator: MemoryReplicator | null = null;
        try {
          const parent = startInCgroup([dirtier, '8', '20', '30', log, 'fork']);
          const ready = await new Promise<string>((resolve) =>
            parent.stdout?.once('data', (d) => resolve(String(d))),
          );
          const base = Number.parseInt(ready.split(' ')[1] as string, 16);
          freezer = openFreezer({ kind: 'cgroup2', dir });
          const active = freezer;
          const plan = await chooseMemoryMechanisms(kind);
          const { tracker, gatherer } = buildMechanisms(plan);
          replicator = new MemoryReplicator(
            () => active.members(),
            tracker,
            gatherer,
            await BackupLink.start(),
          );
          replicator.prepare();
          const [parentPid, childPid] = active.members().sort((a, b) => a - b) as [number, number];
          const logs = new Map([
            [parentPid, log],
            [childPid, `${log}.child`],
          ]);
          const seen = new Map<number, number>([...logs.keys()].map((pid) => [pid, 0]));
          let falsePositives = 0;
          let truthPages = 0;
          let lateProcess = 0;
          for (let epoch = 1; epoch <= EPOCHS; epoch++) {
            if (epoch === 3) {
              // A process that joins the guest while it is protected (picked up, copied in full
              // once), then execs while tracked (memory replaced: detected, copied in full again).
              const script = 'echo $$ > "$0" && sleep 0.15 && exec "$@"';
              const late = spawn('sh', ['-c', script, join(dir, 'cgroup.procs'), dirtier, '4', '10', '30'], {
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              started.push(late);
              lateProcess = late.pid as number;
            }
            await new Promise((resolve) => setTimeout(resolve, 30));
            active.freeze();
            // Ground truth while frozen: every write logged so far has landed.
            const truth = new Map([...logs].map(([pid, path]) => [pid, loggedPages(path)]));
            replicator.capture(epoch);
            const expected = new Map(active.members().map((pid) => [pid, snapshot(pid)]));
            for (const [pid, pages] of truth) {
              const copied = replicator.lastCopied(pid);
              const written = new Set(Array.from(pages.subarray(seen.get(pid))));
              seen.set(pid, pages.length);
              truthPages += written.size;
              const copiedPages = new Set<number>();
              for (let i = 0; i < (copied?.count ?? 0); i++) {
                for (let a = copied?.start(i) as number; a < (copied?.end(i) as number); a += PAGE_SIZE) {
                  const index = (a - base) / PAGE_SIZE;
                  if (index >= 0 && index < 8 * 256) copiedPages.add(index);
                }
              }
              const missed = [...written].filter((p) => !copiedPages.has(p));
              expect(missed, `epoch ${epoch}, process ${pid}: written pages not copied`).toEqual([]);
              if (epoch > 2) falsePositives += [...copiedPages].filter((p) => !written.has(p)).length;
            }
            active.thaw();
            await replicator.commit(epoch);
            const { replicas } = await (replicator as unknown as { backup: BackupLink }).backup.digest();
            for (const [pid, regions] of expected) {
              expect(replicas[pid], `epoch ${epoch}: process ${pid} replica`).toEqual(regions);
            }
          }
          expect(readFileSync(`/proc/${lateProcess}/comm`, 'utf8').trim(), "the late process exec'd").toBe(
            'dirtier',
          );
          expect(truthPages).toBeGreaterThan(1000);
          console.log(
            `${kind}: ${truthPages} logged pages, recall 1.0, ${falsePositives} false positives (epochs 3-${EPOCHS})`,
          );
        } finally {
          freezer?.thaw();
          await replicator?.close();
          for (const child of started) child.kill('SIGKILL');
          // The dirtier's forked child too: kill everything left in the cgroup, then remove it.
          for (let i = 0; i < 50 && readPids(dir).length > 0; i++) {
            for (const pid of readPids(dir)) process.kill(pid, 'SIGKILL');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          freezer?.close();
          rmdirSync(dir);
          rmSync(work, { recursive: true, force: true });
        }
      },
    );
  }
});

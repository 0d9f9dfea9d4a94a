import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCProgram } from '../../harness/setup/guest-programs.ts';
import { CGROUP_PREFIX, destroyCgroup, findCgroupMounts } from '../../harness/testbeds/emulated/cgroup.ts';
import { blockFor, type FreezerTarget, openFreezer } from '../../harness/testbeds/emulated/freezer.ts';
import { median } from '../../harness/util/order-stats.ts';
import { MEMORY_DEFAULTS } from '../../workloads/memory/config.ts';
import { type Progress, parseProgress } from '../../workloads/memory/progress.ts';

/**
 * The memory workload's metric against the time taken from it: the real page dirtier, paused by
 * the emulated testbed's own freezer for a fixed share of every period (as checkpoints pause a
 * guest), must lose about that share of its pages/s, at a short period (25 ms) and a long one
 * (400 ms) alike: a missed tick is never caught up. One dirtier, measured in alternating windows
 * (the machine's drift hits every condition alike).
 */
const DIRTIER = fileURLToPath(new URL('../../workloads/memory/guest/dirtier.c', import.meta.url));
const PAUSED_SHARE = 0.2;
const WINDOW_MS = 4000; // 10 periods of 400 ms, 160 of 25 ms
// Medians over 5 rounds: a window that another process's burst slowed (a shared 2-core machine)
// moves no median.
const ROUNDS = 5;
const WORKING_SET_MB = MEMORY_DEFAULTS.workingSetMB;
const CONDITIONS = [0, 25, 400]; // pause period in ms; 0: not paused

interface Window {
  pagesPerS: number;
  /** Share of the window the freezer held the dirtier frozen. */
  pausedShare: number;
}

async function readProgress(file: string): Promise<Progress> {
  for (let i = 0; i < 100; i++) {
    // Created at the dirtier's first update, 100 ms after it starts writing.
    const progress = existsSync(file) ? parseProgress(readFileSync(file, 'utf8')) : null;
    if (progress) return progress;
    await sleep(20);
  }
  throw new Error(`the dirtier wrote no progress to ${file}`);
}

/** Runs one window: frozen for PAUSED_SHARE of every `periodMs` (0: never), on an absolute schedule. */
async function measureWindow(target: FreezerTarget, progressFile: string, periodMs: number): Promise<Window> {
  const before = await readProgress(progressFile);
  const began = performance.now();
  let frozenMs = 0;
  if (periodMs === 0) await sleep(WINDOW_MS);
  else {
    const freezer = openFreezer(target);
    try {
      // Blocking, as the checkpoint controller's schedule, so that no timer drifts.
      for (let start = began; start < began + WINDOW_MS; start += periodMs) {
        blockFor(Math.max(0, start - performance.now()));
        const frozenAt = performance.now();
        freezer.freeze();
        blockFor(Math.max(0, frozenAt + periodMs * PAUSED_SHARE - performance.now()));
        freezer.thaw();
        frozenMs += performance.now() - frozenAt;
      }
      blockFor(Math.max(0, began + WINDOW_MS - performance.now()));
    } finally {
      freezer.thaw();
      freezer.close();
    }
  }
  // The file is rewritten every 100 ms while the dirtier runs: the window's ends are within that.
  const after = await readProgress(progressFile);
  return {
    pagesPerS: (after.pagesWritten - before.pagesWritten) / (after.elapsedS - before.elapsedS),
    pausedShare: frozenMs / (performance.now() - began),
  };
}

describe('the memory workload loses the share of time it is paused', { timeout: 180_000 }, () => {
  it(`paced at the default ${MEMORY_DEFAULTS.dirtyPagesPerMs} pages/ms over ${MEMORY_DEFAULTS.workingSetMB} MB`, async () => {
    const rate = MEMORY_DEFAULTS.dirtyPagesPerMs;
    const mode = `paced (${rate} pages/ms)`;
    const binary = await buildCProgram(DIRTIER);
    const mounts = findCgroupMounts();
    const kind = mounts.v2 ? 'cgroup2' : mounts.v1Freezer ? 'cgroup1' : 'sigstop';
    const root = kind === 'cgroup2' ? mounts.v2 : mounts.v1Freezer;
    const dir = root ? join(root, `${CGROUP_PREFIX}${process.pid}-pause-test`) : null;
    const scratch = mkdtempSync(join(tmpdir(), 'rb-pause-'));
    const progressFile = join(scratch, 'progress');
    if (dir) mkdirSync(dir);
    const durationS = (CONDITIONS.length * ROUNDS * WINDOW_MS) / 1000 + 30;
    const child = spawn(
      binary,
      [String(WORKING_SET_MB), String(rate), String(durationS), '-', '-', progressFile],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const pid = child.pid as number;
    try {
      if (dir) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      const target: FreezerTarget = dir
        ? { kind: kind as 'cgroup2' | 'cgroup1', dir }
        : { kind: 'sigstop', pgids: [pid] };
      let ready = '';
      child.stdout.on('data', (chunk: Buffer) => {
        ready += chunk.toString();
      });
      while (!ready.includes('ready')) await sleep(10);
      const windows = new Map<number, Window[]>(CONDITIONS.map((period) => [period, []]));
      // Interleaved rounds: the machine's own drift (other load, frequency) hits every condition alike.
      for (let round = 0; round < ROUNDS; round++)
        for (const period of CONDITIONS)
          windows.get(period)?.push(await measureWindow(target, progressFile, period));
      const baseline = median((windows.get(0) ?? []).map((w) => w.pagesPerS));
      const outcomes = [25, 400].map((period) => {
        const paused = windows.get(period) ?? [];
        const share = median(paused.map((w) => w.pausedShare));
        const loss = 1 - median(paused.map((w) => w.pagesPerS)) / baseline;
        return {
          share,
          loss,
          text: `${period} ms: paused ${(share * 100).toFixed(1)} %, lost ${(loss * 100).toFixed(1)} %`,
        };
      });
      const seen = `dirtier ${mode}: baseline ${baseline.toFixed(0)} pages/s; ${outcomes.map((o) => o.text).join('; ')}`;
      console.log(seen);
      for (const { share, loss } of outcomes) {
        expect(share, seen).toBeGreaterThan(PAUSED_SHARE - 0.02);
        // The paused share, within 5 points (the freezer's wake-ups, the machine's noise).
        expect(Math.abs(loss - share), seen).toBeLessThan(0.05);
      }
    } finally {
      child.kill('SIGKILL');
      if (dir) await destroyCgroup(dir, kind as 'cgroup2' | 'cgroup1');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

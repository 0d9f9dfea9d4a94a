import { closeSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Pausing the guest's process tree, synchronously and as fast as the host allows. In order of
 * preference: cgroup v2 (fastest), then the v1 freezer, SIGSTOP last because the guest can see it
 * and its tail is long.
 */

export type FreezerKind = 'cgroup2' | 'cgroup1' | 'sigstop';

/** What the controller process needs to freeze the guest (sent over IPC). */
export type FreezerTarget =
  | { kind: 'cgroup2'; dir: string }
  | { kind: 'cgroup1'; dir: string }
  | { kind: 'sigstop'; pgids: number[] };

export interface Freezer {
  readonly kind: FreezerKind;
  /** Blocks until every task is frozen. */
  freeze(): void;
  thaw(): void;
  /** A new process group in the guest (SIGSTOP mode only; cgroups include new processes themselves). */
  addGroup(pgid: number): void;
  /** The guest's processes now (memory replication tracks each). */
  members(): number[];
  close(): void;
}

/** How long a freeze may take before it is an error (a stuck task, a vanished cgroup). */
const FREEZE_TIMEOUT_MS = 2000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps `ms` without returning to the event loop; the poll interval measured best is 20 µs. */
export function blockFor(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function pollUntil(done: () => boolean, what: string): void {
  const deadline = performance.now() + FREEZE_TIMEOUT_MS;
  while (!done()) {
    if (performance.now() > deadline)
      throw new Error(`${what} did not complete within ${FREEZE_TIMEOUT_MS} ms`);
    blockFor(0.02);
  }
}

/** Reads a small kernfs file from offset 0 through a kept-open descriptor. */
function reader(path: string): { read(): string; close(): void } {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(512);
  return {
    read: () => buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0)),
    close: () => closeSync(fd),
  };
}

/** How one cgroup version freezes: the file written, its two words, and the file that says when it is done. */
interface CgroupFreezeFiles {
  readonly kind: 'cgroup2' | 'cgroup1';
  readonly control: string;
  readonly freeze: string;
  readonly thaw: string;
  readonly state: string;
  readonly frozen: (state: string) => boolean;
}

const CGROUP_FREEZE: Record<CgroupFreezeFiles['kind'], CgroupFreezeFiles> = {
  // Re-read cgroup.events until "frozen 1". Never poll() or inotify on cgroup.events:
  // notifications are rate-limited to one per 10 ms.
  cgroup2: {
    kind: 'cgroup2',
    control: 'cgroup.freeze',
    freeze: '1',
    thaw: '0',
    state: 'cgroup.events',
    frozen: (events) => events.includes('frozen 1'),
  },
  // The v1 freezer says FREEZING until every task is frozen.
  cgroup1: {
    kind: 'cgroup1',
    control: 'freezer.state',
    freeze: 'FROZEN',
    thaw: 'THAWED',
    state: 'freezer.state',
    frozen: (state) => state.startsWith('FROZEN'),
  },
};

/** A cgroup freezer (v2 or v1): write the freeze word, then re-read the state file until it says frozen. */
class CgroupFreezer implements Freezer {
  readonly kind: FreezerKind;
  private readonly control: number;
  private readonly state: ReturnType<typeof reader>;
  constructor(
    private readonly dir: string,
    private readonly files: CgroupFreezeFiles,
  ) {
    this.kind = files.kind;
    this.control = openSync(join(dir, files.control), 'w');
    this.state = reader(join(dir, files.state));
  }
  freeze(): void {
    writeSync(this.control, this.files.freeze, 0);
    pollUntil(() => this.files.frozen(this.state.read()), `${this.kind} freeze`);
  }
  thaw(): void {
    writeSync(this.control, this.files.thaw, 0);
  }
  addGroup(): void {}
  members(): number[] {
    return cgroupProcs(this.dir);
  }
  close(): void {
    closeSync(this.control);
    this.state.close();
  }
}

/** Field 3 (state) and field 5 (pgrp) of /proc/PID/stat; the name field may hold spaces. */
export function parseStat(text: string): { state: string; pgrp: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  return { state: fields[0] ?? '?', pgrp: Number(fields[2]) };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function cgroupProcs(dir: string): number[] {
  return (readText(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
}

/** Every process in the given process groups. */
function processesOf(pgids: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    const parsed = stat ? parseStat(stat) : null;
    if (parsed && pgids.has(parsed.pgrp)) pids.push(Number(entry));
  }
  return pids;
}

/** Every thread of every process in the given process groups. */
function tasksOf(pgids: ReadonlySet<number>): string[] {
  const tasks: string[] = [];
  for (const entry of processesOf(pgids)) {
    try {
      for (const tid of readdirSync(`/proc/${entry}/task`)) tasks.push(`/proc/${entry}/task/${tid}/stat`);
    } catch {
      // exited meanwhile
    }
  }
  return tasks;
}

/**
 * SIGSTOP to each process group, then wait until every thread shows state T. Last resort: the
 * guest can observe it (SIGCHLD to a parent, job control), and it needs no privileges.
 */
class SigstopFreezer implements Freezer {
  readonly kind = 'sigstop';
  private readonly pgids: Set<number>;
  constructor(pgids: readonly number[]) {
    this.pgids = new Set(pgids);
  }
  addGroup(pgid: number): void {
    this.pgids.add(pgid);
  }
  private signal(signal: NodeJS.Signals): void {
    for (const pgid of this.pgids) {
      try {
        process.kill(-pgid, signal);
      } catch {
        // the group is gone: nothing to freeze
      }
    }
  }
  freeze(): void {
    this.signal('SIGSTOP');
    const tasks = tasksOf(this.pgids);
    pollUntil(
      () =>
        tasks.every((path) => {
          const stat = readText(path);
          const state = stat ? parseStat(stat)?.state : 'X';
          return state === undefined || state === 'T' || state === 't' || state === 'X' || state === 'Z';
        }),
      'SIGSTOP freeze',
    );
  }
  thaw(): void {
    this.signal('SIGCONT');
  }
  members(): number[] {
    return processesOf(this.pgids);
  }
  close(): void {}
}

export function openFreezer(target: FreezerTarget): Freezer {
  switch (target.kind) {
    case 'cgroup2':
    case 'cgroup1':
      return new CgroupFreezer(target.dir, CGROUP_FREEZE[target.kind]);
    case 'sigstop':
      return new SigstopFreezer(target.pgids);
  }
}

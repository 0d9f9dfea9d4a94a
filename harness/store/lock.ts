import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../errors.ts';
import { tryLockExclusive } from '../util/flock.ts';
import { writeAll } from './durable.ts';

/** Who holds a lock: written into the lock file, for the messages only. */
interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  what: string;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch {
    return false; // the name is gone
  }
}

/**
 * An exclusive lock so that two unattended runs never share a results directory or a testbed.
 * The lock itself is flock(2) on the lock file, held for the life of this process: the kernel drops
 * it when the process ends in any way (SIGKILL included), so a crashed run can be resumed at once
 * and a reused pid or a zombie never keeps it. The file's text only names the holder. A file left
 * by a process that no longer holds it is taken over with a message. Returns the release function.
 */
export function acquireLock(path: string, what: string, log: (line: string) => void): () => void {
  // A holder releasing the lock unlinks the file while still holding it; a taker that opened the
  // old file in between then holds a lock on a name that no longer exists: check and retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'a+', 0o644);
    } catch (error) {
      throw new UserError(
        `Cannot create the lock file ${path} (${(error as NodeJS.ErrnoException).code}); check that the directory exists and is writable.`,
      );
    }
    if (!tryLockExclusive(fd)) {
      closeSync(fd);
      const holder = readOwner(path);
      const who = holder
        ? `pid ${holder.pid}${holder.hostname !== hostname() ? ` on host ${holder.hostname}` : ''}, started ${holder.startedAt}`
        : 'a process that has not written its name yet';
      throw new UserError(
        `Another run (${who}) is using ${what}; lock file ${path}. ` +
          'Wait for it to finish or stop it (Ctrl-C lets it clean up), then run again.',
      );
    }
    if (!sameFile(fd, path)) {
      closeSync(fd);
      continue;
    }
    const previous = readOwner(path);
    if (previous) {
      log(
        `Taking over a stale lock of ${what}: pid ${previous.pid}${previous.hostname !== hostname() ? ` on host ${previous.hostname}` : ''} (started ${previous.startedAt}) no longer runs.`,
      );
    }
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      what,
    };
    ftruncateSync(fd, 0);
    writeAll(fd, `${JSON.stringify(owner)}\n`);
    let held: number | null = fd;
    return () => {
      if (held === null) return;
      // Unlink while still holding the lock, then let it go.
      try {
        if (sameFile(held, path)) unlinkSync(path);
      } catch {
        // already gone
      }
      closeSync(held);
      held = null;
    };
  }
  throw new UserError(`Could not take the lock ${path}: it was replaced repeatedly; try again.`);
}

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../errors.ts';

/** Who holds a lock: written into the lock file. */
interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  what: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (created with O_EXCL) so that two unattended runs never share a results
 * directory or a testbed. A lock left by a process that no longer exists on this host is taken over
 * with a message. Returns the release function.
 */
export function acquireLock(path: string, what: string, log: (line: string) => void): () => void {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    what,
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
      return () => {
        try {
          const current = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
          if (current.pid === process.pid) rmSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UserError(
          `Cannot create the lock file ${path} (${(error as NodeJS.ErrnoException).code}).`,
        );
      }
    }
    let holder: LockOwner | null = null;
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    } catch {
      holder = null; // unreadable or half-written: treat as stale
    }
    if (holder && holder.hostname === hostname() && alive(holder.pid)) {
      throw new UserError(
        `Another run (pid ${holder.pid}, started ${holder.startedAt}) is using ${what}; lock file ${path}. ` +
          'Wait for it to finish or stop it (Ctrl-C lets it clean up), then run again.',
      );
    }
    if (holder && holder.hostname !== hostname()) {
      throw new UserError(
        `${what} is locked by host ${holder.hostname} (pid ${holder.pid}, since ${holder.startedAt}); lock file ${path}. ` +
          'If that run is gone, remove the file.',
      );
    }
    log(
      `Taking over a stale lock of ${what}: ${holder ? `pid ${holder.pid} (started ${holder.startedAt}) no longer runs` : 'unreadable lock file'}.`,
    );
    rmSync(path, { force: true });
  }
  throw new UserError(`Could not take the lock ${path}.`);
}

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { watchOutput } from './output-watcher.ts';

/**
 * `npm run <script> -- <args>` started as users start it, so that signals reach it as users send
 * them: in a session of its own with no terminal (systemd, cron, a CI runner: a stop signal goes to
 * the whole process group, `kill -- -PGID`), or on a real pseudo-terminal (`script` from
 * util-linux) where Ctrl-C is the byte 0x03 typed at the terminal and a lost terminal is a hangup.
 */
export interface NpmRun {
  child: ChildProcess;
  /** The session (and process group) id: npm, its shell and the harness all belong to it. */
  sid: number;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Signal to the whole process group, as `kill -SIG -- -PGID` sends it. */
  killGroup: (signal: NodeJS.Signals) => void;
  /** Terminal only: types Ctrl-C. */
  typeCtrlC: () => void;
  /** Terminal only: the terminal goes away (its emulator or SSH session dies): a hangup. */
  hangUp: () => void;
  /** Resolves when every process of the session has exited, with the seconds that took. */
  allGone: (timeoutMs?: number) => Promise<number>;
  /** The pid of the harness process itself (node running harness/cli.ts), once it runs. */
  harnessPid: () => number | null;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Pids of the processes of session `sid` (zombies are gone for this purpose: they hold nothing). */
export function sessionPids(sid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp session ...: comm may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[3]) === sid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, depth = 0; p > 1 && depth < 20; p = parentOf(p), depth++) if (p === ancestor) return true;
  return false;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function startNpmRun(
  script: string,
  args: readonly string[],
  options: { terminal?: boolean } = {},
): NpmRun {
  const npmLine = ['npm', 'run', '-s', script, '--', ...args].map(shellQuote).join(' ');
  // `script` makes the pty the controlling terminal of a new session running the command; without
  // it, `detached` gives the command a session of its own with no terminal at all.
  const child = options.terminal
    ? spawn('script', ['-qfec', npmLine, '/dev/null'], {
        cwd: PROJECT_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn('sh', ['-c', `exec ${npmLine}`], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
  const sid = child.pid as number;
  const { output, waitFor: waitForText } = watchOutput(child);
  child.stdin?.on('error', () => {});
  let harness: number | null = null;
  const harnessPid = () => {
    harness ??=
      readdirSync('/proc')
        .filter((e) => /^\d+$/.test(e))
        .map(Number)
        .find((pid) => cmdline(pid).includes('harness/cli.ts') && descendsFrom(pid, sid)) ?? null;
    return harness;
  };
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    await waitForText(pattern, timeoutMs);
    harnessPid();
  };
  // The terminal's session is script's child's: every process whose controlling terminal it is.
  const sessions = () => {
    const own = new Set([sid]);
    const pid = harnessPid();
    if (pid !== null) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        own.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]));
      } catch {
        // gone
      }
    }
    return [...own];
  };
  let knownSessions: number[] = [sid];
  const allGone = async (timeoutMs = 120_000) => {
    knownSessions = [...new Set([...knownSessions, ...sessions()])];
    const began = performance.now();
    while (performance.now() - began < timeoutMs) {
      if (knownSessions.every((s) => sessionPids(s).length === 0)) return (performance.now() - began) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `processes still running ${timeoutMs / 1000} s after the signal: ${knownSessions
        .flatMap(sessionPids)
        .map((p) => `${p} ${cmdline(p)}`)
        .join('; ')}\n${output()}`,
    );
  };
  return {
    child,
    sid,
    output,
    waitFor,
    killGroup: (signal) => {
      knownSessions = [...new Set([...knownSessions, ...sessions()])];
      for (const s of knownSessions) {
        try {
          process.kill(-s, signal);
        } catch {
          // that group is gone already
        }
      }
    },
    typeCtrlC: () => child.stdin?.write('\x03'),
    hangUp: () => {
      knownSessions = [...new Set([...knownSessions, ...sessions()])];
      // The terminal's master side closes when `script` dies: the kernel hangs up the terminal.
      child.kill('SIGKILL');
    },
    allGone,
    harnessPid,
  };
}

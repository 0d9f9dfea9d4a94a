import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../harness/store/lock.ts';

const TAKE_LOCK = fileURLToPath(new URL('./fixtures/take-lock.ts', import.meta.url));

/** Another process taking the lock; resolves with its first line ("won" or "refused: ..."). */
function takeInChild(
  path: string,
  holdMs: number,
): { child: ChildProcess; verdict: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', TAKE_LOCK, path, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const verdict = new Promise<string>((resolve) => {
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] as string);
    });
    child.on('exit', () => resolve(text.split('\n')[0] ?? ''));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, verdict, exited };
}

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'rb-lock-unit-')), '.remus-bench.lock');
const staleFile = (path: string, pid: number) =>
  writeFileSync(
    path,
    JSON.stringify({ pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z', what: 'x' }),
  );

describe('results and testbed lock', { timeout: 60_000 }, () => {
  it('refuses while another process holds it, naming that process; free the moment it is killed', async () => {
    const path = lockPath();
    const holder = takeInChild(path, 30_000);
    expect(await holder.verdict).toBe('won');
    const lines: string[] = [];
    expect(() => acquireLock(path, 'the test resource', (l) => lines.push(l))).toThrow(
      new RegExp(`Another run \\(pid ${holder.child.pid}, started .*\\) is using the test resource`),
    );
    // A crash: no cleanup ran, the file still names the dead process; the kernel let the lock go.
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(path)).toBe(true);
    const release = acquireLock(path, 'the test resource', (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(
      `Taking over a stale lock of the test resource: pid ${holder.child.pid}`,
    );
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('a lock file naming a live process that holds no lock (a reused pid) is taken over', () => {
    const path = lockPath();
    staleFile(path, process.ppid); // alive, and certainly not holding this lock
    const lines: string[] = [];
    const release = acquireLock(path, 'the test resource', (l) => lines.push(l));
    expect(lines).toEqual([expect.stringMatching(`pid ${process.ppid} .* no longer runs`)]);
    release();
  });

  it('of many processes taking over one stale lock at once, exactly one wins', async () => {
    const path = lockPath();
    staleFile(path, 2 ** 22 + 11);
    const takers = Array.from({ length: 8 }, () => takeInChild(path, 3000));
    const verdicts = await Promise.all(takers.map((t) => t.verdict));
    expect(verdicts.filter((v) => v === 'won')).toHaveLength(1);
    expect(verdicts.filter((v) => v.startsWith('refused: Another run'))).toHaveLength(7);
    await Promise.all(takers.map((t) => t.exited));
    expect(existsSync(path)).toBe(false);
  });
});

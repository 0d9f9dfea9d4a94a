import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { fingerprint, parseKnownHosts } from '../../harness/remote/known-hosts.ts';
import { shellQuote } from '../../harness/remote/shell-quote.ts';
import { RemoteHost, type SshTarget } from '../../harness/remote/ssh.ts';
import { SSHD, startSshd, type TestSshd } from '../helpers/sshd.ts';

const canRun = existsSync(SSHD) && process.getuid?.() === 0;

describe.skipIf(!canRun)(
  'SSH to a real OpenSSH server (host keys verified, arguments quoted)',
  { timeout: 60_000 },
  () => {
    let sshd: TestSshd;
    let target: SshTarget;
    beforeAll(async () => {
      sshd = await startSshd();
      target = {
        role: 'primary dom0',
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        keyFile: sshd.clientKey,
        knownHosts: sshd.knownHosts,
      };
    });
    afterAll(() => sshd?.stop());

    const refusal = async (t: SshTarget) => {
      const error = await RemoteHost.connect(t).then(
        (host) => {
          host.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      return (error as Error).message;
    };

    it('runs argv with every word quoted: nothing is interpreted by the remote shell', async () => {
      const host = await RemoteHost.connect(target);
      try {
        const nasty = ["it's", 'a b', '$HOME', '`id`', 'x;y', '*', '', 'line\nbreak', '"q"', '\\'];
        const result = await host.exec(['printf', '%s\\n', ...nasty]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toBe(`${nasty.join('\n')}\n`);
        const failing = await host.exec(['sh', '-c', 'echo oops >&2; exit 3']);
        expect(failing).toEqual({ exitCode: 3, stdout: '', stderr: 'oops\n' });
      } finally {
        host.close();
      }
    });

    it('accepts a hashed known_hosts entry (ssh-keygen -H)', async () => {
      const hashed = join(sshd.dir, 'known_hosts_hashed');
      copyFileSync(sshd.knownHosts, hashed);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed]);
      expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
      const host = await RemoteHost.connect({ ...target, knownHosts: hashed });
      expect((await host.exec(['true'])).exitCode).toBe(0);
      host.close();
    });

    it('refuses an unknown host key, naming the host, the fingerprint and how to accept it', async () => {
      const empty = join(sshd.dir, 'known_hosts_empty');
      writeFileSync(empty, '# nothing yet\n');
      const message = await refusal({ ...target, knownHosts: empty });
      const [, key] = sshd.hostPublicKey.split(' ');
      const expected = fingerprint(Buffer.from(key as string, 'base64'));
      expect(message).toContain(`primary dom0 ${sshd.user}@127.0.0.1:${sshd.port}`);
      expect(message).toContain(expected);
      expect(message).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${empty}`);
      expect(
        execFileSync('ssh-keygen', ['-lf', `${join(sshd.dir, 'host_key.pub')}`], { encoding: 'utf8' }),
      ).toContain(expected);
    });

    it('refuses a changed host key, naming both fingerprints', async () => {
      const other = join(sshd.dir, 'other_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const [type, key] = readFileSync(`${other}.pub`, 'utf8').split(' ');
      const wrong = join(sshd.dir, 'known_hosts_wrong');
      writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ${type} ${key}\n`);
      const message = await refusal({ ...target, knownHosts: wrong });
      expect(message).toMatch(/CHANGED/);
      const known = parseKnownHosts(readFileSync(wrong, 'utf8'))[0];
      expect(message).toContain(fingerprint(known?.key as Buffer));
      expect(message).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
    });

    it('names a refused login, an unreachable port and a bad key passphrase, never the passphrase', async () => {
      const stranger = join(sshd.dir, 'stranger_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
      expect(await refusal({ ...target, keyFile: stranger })).toMatch(/refused the login .*authorized_keys/);
      expect(await refusal({ ...target, port: 1 })).toMatch(
        /Nothing listens for SSH at the primary dom0 .*:1 /,
      );
      const locked = join(sshd.dir, 'locked_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', locked]);
      const secret = 'Tr0ub4dor&3-secret';
      const message = await refusal({ ...target, keyFile: locked, passphrase: secret });
      expect(message).toContain(locked);
      expect(message).not.toContain(secret);
    });

    it('a command over its time limit is ended on the remote host too, and reported as a timeout', async () => {
      const host = await RemoteHost.connect(target);
      const marker = `rb-timeout-${process.pid}`;
      try {
        const began = performance.now();
        const outcome = await host.exec(['sh', '-c', `sleep 47; echo ${marker}`], { timeoutMs: 1500 }).then(
          () => 'finished',
          (e: Error) => e.message,
        );
        expect(outcome).toMatch(/did not finish within 1500 ms/);
        expect(performance.now() - began).toBeLessThan(15_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        // Nothing of it is left running over there.
        const left = await host.exec(['sh', '-c', `pgrep -f 'sleep 4[7]' || true`]);
        expect(left.stdout.trim()).toBe('');
      } finally {
        host.close();
      }
    });

    it('a connection that stops answering: opening a channel fails after its time limit instead of hanging', async () => {
      const host = await RemoteHost.connect(target);
      // Freeze this connection's session processes on the server: nothing answers any more.
      const sessions = execFileSync('pgrep', ['-f', `sshd: ${sshd.user}`], { encoding: 'utf8' })
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      for (const pid of sessions) process.kill(pid, 'SIGSTOP');
      try {
        const outcome = await host.open('true', { openTimeoutMs: 1000 }).then(
          () => 'opened',
          (e: Error) => e.message,
        );
        expect(outcome).toMatch(/no answer to opening a channel within 1000 ms/);
      } finally {
        for (const pid of sessions) process.kill(pid, 'SIGCONT');
        host.close();
      }
    });

    it('quotes like a POSIX shell', () => {
      expect(shellQuote('plain-word_1.2')).toBe('plain-word_1.2');
      expect(shellQuote("it's")).toBe(`'it'\\''s'`);
      expect(shellQuote('')).toBe("''");
    });
  },
);

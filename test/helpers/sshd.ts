import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A real OpenSSH server on 127.0.0.1 with its own host key and authorized_keys, for tests. */
export interface TestSshd {
  port: number;
  dir: string;
  /** Client key (no passphrase) authorized on this server. */
  clientKey: string;
  /** known_hosts holding this server's key (plain entry). */
  knownHosts: string;
  hostPublicKey: string;
  /** Every host key the server offers ("type base64"), by ssh-keygen type (ed25519, rsa, ecdsa). */
  hostPublicKeys: Record<string, string>;
  user: string;
  /**
   * Drops every open SSH connection (SIGKILL to the server's session processes), as a lost network
   * would; the server keeps listening, and the programs those sessions ran see their pipes close.
   */
  dropSessions(): number;
  stop(): Promise<void>;
}

/** Pids of the `sshd` processes below `master` (its per-connection session processes). */
function sessionProcesses(master: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .split('\n')
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols.length >= 3);
  const found: number[] = [];
  const queue = [String(master)];
  while (queue.length) {
    const parent = queue.shift() as string;
    for (const [pid, ppid, comm] of rows) {
      if (ppid === parent && comm?.startsWith('sshd')) {
        found.push(Number(pid));
        queue.push(pid as string);
      }
    }
  }
  return found;
}

export const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function keygen(path: string, comment: string, passphrase = '', type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', comment, '-f', path]);
}

/**
 * Starts sshd (root only: it must switch users); `extraConfig` lines go into sshd_config. With
 * `netns`, sshd runs inside that network namespace (on its own 127.0.0.1).
 */
export async function startSshd(
  extraConfig: string[] = [],
  netns?: string,
  hostKeyTypes: readonly string[] = ['ed25519'],
): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-sshd-'));
  chmodSync(dir, 0o700);
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  keygen(join(dir, 'host_key'), 'test-host', '', hostKeyTypes[0]);
  for (const type of hostKeyTypes.slice(1)) keygen(join(dir, `host_key_${type}`), 'test-host', '', type);
  keygen(join(dir, 'client_key'), 'test-client');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    ...hostKeyTypes.slice(1).map((type) => `HostKey ${join(dir, `host_key_${type}`)}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    ...extraConfig,
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const hostPublicKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim();
  const publicKey = (file: string) =>
    readFileSync(join(dir, file), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const hostPublicKeys: Record<string, string> = {
    [hostKeyTypes[0] as string]: publicKey('host_key.pub'),
    ...Object.fromEntries(hostKeyTypes.slice(1).map((type) => [type, publicKey(`host_key_${type}.pub`)])),
  };
  const [type, key] = hostPublicKey.split(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${type} ${key}\n`);
  const argv = [SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')];
  const child: ChildProcess = netns
    ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d) => {
    log += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = () => {
      if (/Server listening/.test(log)) resolve();
      else if (child.exitCode !== null || Date.now() > deadline)
        reject(new Error(`sshd did not start: ${log}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
  return {
    port,
    dir,
    clientKey: join(dir, 'client_key'),
    knownHosts: join(dir, 'known_hosts'),
    hostPublicKey,
    hostPublicKeys,
    user: userInfo().username,
    dropSessions: () => {
      const sessions = child.pid ? sessionProcesses(child.pid) : [];
      for (const pid of sessions) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      return sessions.length;
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { UserError } from '../errors.ts';
import { childEnv } from '../util/child-env.ts';
import {
  checkHostKey,
  type HostKeyVerdict,
  knownHostsName,
  knownKeyTypes,
  readKnownHosts,
} from './known-hosts.ts';
import { commandLine, shellQuote } from './shell-quote.ts';

/** How to reach one host over SSH (a dom0, or a guest). */
export interface SshTarget {
  /** A short name for messages, e.g. "primary dom0". */
  role: string;
  host: string;
  port: number;
  user: string;
  /** Private key file; without it the SSH agent ($SSH_AUTH_SOCK) is used. */
  keyFile?: string;
  /** Passphrase of the key file; never written anywhere. */
  passphrase?: string;
  /** OpenSSH known_hosts file the host key must be in (plain or hashed entries). */
  knownHosts: string;
  /**
   * A network namespace of this machine (`ip netns`) from which the host is reached: the TCP
   * connection is made by a small pipe process inside it (like ssh's ProxyCommand).
   */
  netns?: string;
  connectTimeoutMs?: number;
  /**
   * How long the host may stay silent before the connection counts as lost (default 15 s). A
   * guest under buffered Remus is silent until a checkpoint commits: during the initial copy, for
   * as long as the first checkpoint takes.
   */
  silenceToleranceMs?: number;
}

export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const KEEPALIVE_MS = 5000;
const KEEPALIVE_COUNT = 3;
const TCP_PIPE = fileURLToPath(new URL('./tcp-pipe.mjs', import.meta.url));

/**
 * A TCP connection made from inside a network namespace: `ip netns exec NS node tcp-pipe.mjs` whose
 * stdin/stdout carry the stream. `problem()` is what the pipe said on stderr if it failed.
 */
function connectThroughNetns(t: SshTarget & { netns: string }): {
  sock: Duplex;
  problem: () => string;
  end: () => void;
} {
  const child = spawn('ip', ['netns', 'exec', t.netns, process.execPath, TCP_PIPE, t.host, String(t.port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv(),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  child.on('error', (error) => {
    stderr += `cannot run ip netns exec: ${error.message}`;
  });
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  sock.on('error', () => {});
  return {
    sock,
    problem: () => stderr.trim(),
    end: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}

function where(t: SshTarget): string {
  return `${t.role} ${t.user}@${t.host}:${t.port}${t.netns ? ` (from netns ${t.netns})` : ''}`;
}

/**
 * The host-key algorithms ssh2 can verify a key of a known_hosts key type with (RSA: SHA-2 first);
 * none for types ssh2 does not offer (security keys), which then cannot match anyway.
 */
function hostKeyAlgorithms(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'].includes(
    keyType,
  )
    ? [keyType]
    : [];
}

/** The message for a host key that is not the known one: what is wrong and how to accept it. */
export function hostKeyMessage(t: SshTarget, verdict: Exclude<HostKeyVerdict, { status: 'known' }>): string {
  const name = knownHostsName(t.host, t.port);
  const accept =
    `If that fingerprint is right (check it on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), ` +
    `add the key: ssh-keyscan -p ${t.port} ${t.host} >> ${t.knownHosts}`;
  switch (verdict.status) {
    case 'unknown':
      if (verdict.certAuthority)
        return (
          `The ${where(t)} is known in ${t.knownHosts} only through a @cert-authority line, and this harness's SSH client ` +
          `(ssh2) cannot check host certificates; it presented the plain key ${verdict.fingerprint}. ${accept}`
        );
      return `The host key of the ${where(t)} is not in ${t.knownHosts} (no entry for ${name}); it presented ${verdict.fingerprint}. ${accept}`;
    case 'changed':
      return (
        `The host key of the ${where(t)} CHANGED: it presented ${verdict.fingerprint}, but ${t.knownHosts} has ` +
        `${verdict.knownFingerprints.join(', ')} for ${name}. This may be an attack or a reinstalled host; nothing was sent. ` +
        `If the host was reinstalled, remove the old entry (ssh-keygen -R '${name}' -f ${t.knownHosts}), then ${accept.replace(/^If/, 'if')}`
      );
    case 'revoked':
      return `The host key of the ${where(t)} (${verdict.fingerprint}) is marked @revoked in ${t.knownHosts}; refusing to connect.`;
  }
}

/** An open SSH connection; every command is sent as a quoted argv. */
export class RemoteHost {
  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly onClose: () => void = () => {},
  ) {}

  /** Connects, verifying the host key against target.knownHosts; never accepts an unknown key. */
  static async connect(target: SshTarget): Promise<RemoteHost> {
    let entries: ReturnType<typeof readKnownHosts>;
    try {
      entries = readKnownHosts(target.knownHosts);
    } catch (error) {
      throw new UserError(
        `Cannot read the known_hosts file ${target.knownHosts} for the ${where(target)}: ${(error as Error).message}`,
      );
    }
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: target.connectTimeoutMs ?? 20_000,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: Math.max(
        KEEPALIVE_COUNT,
        Math.ceil((target.silenceToleranceMs ?? 0) / KEEPALIVE_MS),
      ),
    };
    if (target.keyFile) {
      try {
        config.privateKey = readFileSync(target.keyFile);
      } catch (error) {
        throw new UserError(
          `Cannot read the SSH key ${target.keyFile} for the ${where(target)}: ${(error as Error).message}`,
        );
      }
      if (target.passphrase !== undefined) config.passphrase = target.passphrase;
    } else if (process.env.SSH_AUTH_SOCK) {
      config.agent = process.env.SSH_AUTH_SOCK;
    } else {
      throw new UserError(
        `No key file configured for the ${where(target)} and no SSH agent ($SSH_AUTH_SOCK) running.`,
      );
    }
    // Ask first for the key types known_hosts has for this host, as OpenSSH does: otherwise ssh2
    // negotiates its own first choice (ed25519) and a host known by its RSA or ECDSA key looks
    // CHANGED.
    const preferred = knownKeyTypes(entries, target.host, target.port).flatMap(hostKeyAlgorithms);
    // (ssh2's `prepend` skips names already in its list: remove them first, then put them in front.)
    if (preferred.length)
      config.algorithms = { serverHostKey: { remove: preferred, prepend: preferred } as never };
    let rejected: Exclude<HostKeyVerdict, { status: 'known' }> | null = null;
    config.hostVerifier = (key: Buffer) => {
      const verdict = checkHostKey(entries, target.host, target.port, key);
      if (verdict.status === 'known') return true;
      rejected = verdict;
      return false;
    };
    const pipe = target.netns ? connectThroughNetns({ ...target, netns: target.netns }) : null;
    if (pipe) config.sock = pipe.sock;
    const client = new Client();
    client.on('close', () => pipe?.end());
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      // `on`, not `once`: ssh2 may emit a second error (e.g. the socket closing after a failed
      // handshake), and an unhandled 'error' event would end the process.
      client.on('error', (error: Error & { level?: string }) => {
        pipe?.end();
        if (rejected) reject(new UserError(hostKeyMessage(target, rejected)));
        else if (pipe?.problem())
          reject(new UserError(`Cannot connect to the ${where(target)}: ${pipe.problem()}`));
        else reject(new UserError(connectMessage(target, error)));
      });
      try {
        client.connect(config);
      } catch (error) {
        // A key that cannot be parsed (or a wrong passphrase) throws here; ssh2's message names
        // neither the passphrase nor the key's contents.
        reject(
          new UserError(
            `Cannot use the SSH key ${target.keyFile} for the ${where(target)}: ${(error as Error).message}`,
          ),
        );
      }
    });
    // Later connection errors surface as failed commands (the channel closes); never as a crash.
    client.on('error', () => {});
    return new RemoteHost(target, client, () => pipe?.end());
  }

  /** Runs argv (each word quoted) and collects its output; rejects only when the channel fails. */
  exec(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<RemoteResult> {
    return this.execLine(commandLine(argv), options);
  }

  /**
   * Runs a command line the harness composed itself from quoted parts (redirections, `&`). Never
   * pass user input here unquoted: use exec(argv), or shellQuote each part.
   */
  execLine(line: string, options: { timeoutMs?: number } = {}): Promise<RemoteResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    // Closing a channel does not end the command on the other side, so the remote end enforces the
    // time limit itself (coreutils' timeout, TERM then KILL), where it exists; the local timer,
    // a little later, also covers a connection that stops answering altogether.
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const bounded =
      `if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 ${seconds} sh -c ${shellQuote(line)}; ` +
      `else exec sh -c ${shellQuote(line)}; fi`;
    const began = performance.now();
    const tooLong = () =>
      new Error(`${where(this.target)}: \`${line.slice(0, 120)}\` did not finish within ${timeoutMs} ms`);
    return new Promise((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | null = null;
      const timer = setTimeout(() => {
        settled = true;
        channel?.close();
        reject(
          channel
            ? tooLong()
            : new Error(
                `${where(this.target)}: no answer to opening a channel within ${timeoutMs + 6000} ms (the connection hangs)`,
              ),
        );
      }, timeoutMs + 6000);
      try {
        this.client.exec(bounded, (error, stream) => {
          if (settled) {
            stream?.close();
            return;
          }
          if (error) {
            settled = true;
            clearTimeout(timer);
            reject(new Error(`${where(this.target)}: cannot run a command: ${error.message}`));
            return;
          }
          channel = stream;
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          stream.on('data', (d: Buffer) => out.push(d));
          stream.stderr.on('data', (d: Buffer) => err.push(d));
          stream.on('close', (code: number | null, signal?: string) => {
            clearTimeout(timer);
            if (settled) return;
            settled = true;
            // 124: the remote timeout ended it (137 after its KILL).
            if ((code === 124 || code === 137) && performance.now() - began >= timeoutMs) {
              reject(tooLong());
              return;
            }
            resolve({
              exitCode: code ?? (signal ? 128 : -1),
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(err).toString('utf8'),
            });
          });
        });
      } catch (error) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${where(this.target)}: cannot run a command: ${(error as Error).message}`));
      }
    });
  }

  /** Writes a local file to `remotePath` on the host (mode 0600). */
  async upload(localPath: string, remotePath: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const channel = await this.open(`umask 077 && cat > ${shellQuote(remotePath)}`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        channel.close();
        reject(
          new Error(`${where(this.target)}: uploading ${localPath} did not finish within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      channel.on('close', (code: number | null) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${where(this.target)}: writing ${remotePath} failed (exit ${code})`));
      });
      channel.stderr.resume();
      channel.resume();
      channel.end(readFileSync(localPath));
    });
  }

  /** Starts a command line and hands over its channel (for long-running remote programs). */
  open(line: string, options: { openTimeoutMs?: number } = {}): Promise<ClientChannel> {
    const openTimeoutMs = options.openTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          new Error(
            `${where(this.target)}: no answer to opening a channel within ${openTimeoutMs} ms (the connection hangs)`,
          ),
        );
      }, openTimeoutMs);
      try {
        this.client.exec(line, (error, channel) => {
          clearTimeout(timer);
          if (settled) {
            channel?.close();
            return;
          }
          settled = true;
          if (error) reject(new Error(`${where(this.target)}: cannot run a command: ${error.message}`));
          else resolve(channel);
        });
      } catch (error) {
        clearTimeout(timer);
        settled = true;
        reject(new Error(`${where(this.target)}: cannot run a command: ${(error as Error).message}`));
      }
    });
  }

  close(): void {
    this.client.end();
    this.onClose();
  }
}

function connectMessage(t: SshTarget, error: Error & { level?: string; code?: string }): string {
  if (error.level === 'client-authentication') {
    return `The ${where(t)} refused the login (${error.message}). Check the user and that the public key of ${t.keyFile ?? 'the agent'} is in its authorized_keys.`;
  }
  if (error.code === 'ECONNREFUSED')
    return `Nothing listens for SSH at the ${where(t)} (connection refused). Check host and port.`;
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return `The ${where(t)}: host name not found (${error.code}).`;
  if (/Timed out/i.test(error.message))
    return `The ${where(t)} did not answer the SSH handshake in time (unreachable host or filtered port).`;
  return `Cannot connect to the ${where(t)}: ${error.message}`;
}

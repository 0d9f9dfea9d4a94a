import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, UserError } from '../../harness/errors.ts';
import { RemoteHost, type SshTarget } from '../../harness/remote/ssh.ts';
import type { Endpoint, Transport } from '../../harness/testbeds/types.ts';
import { runClientProcess } from '../../workloads/client-process.ts';
import {
  decodeClientOutput,
  type LatencyClientInput,
  type LatencyClientOutput,
} from '../../workloads/latency/client.ts';
import { SSHD, startSshd, type TestSshd } from '../helpers/sshd.ts';

/**
 * The Xen lab's guest is reachable only from a network namespace: SSH (harness/remote/ssh.ts
 * `netns`) and the workload clients (workloads/client-process.ts) reach it from inside one. Here the
 * namespace is one this test creates, with its own loopback: a server on its 127.0.0.1 is
 * unreachable from the test's own namespace, so every success below went through the namespace.
 */
const NS = `rbtest-${process.pid}`;
const CLIENT_MODULE = fileURLToPath(new URL('../../workloads/latency/client.ts', import.meta.url));
const haveTools = (() => {
  try {
    execFileSync('which', ['ip', 'socat']);
    return existsSync(SSHD) && process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/** A socat echo server inside the namespace (the server the Xen lab's guest runs). */
async function socatEcho(transport: Transport): Promise<{ endpoint: Endpoint; stop: () => void }> {
  const listen = `${transport === 'tcp' ? 'TCP4' : 'UDP4'}-LISTEN:0,bind=127.0.0.1,fork,reuseaddr`;
  // Its own process group: socat forks a child per connection or UDP peer, which outlives a
  // SIGKILL to the parent alone.
  const child = spawn('ip', ['netns', 'exec', NS, 'socat', '-d', '-d', listen, 'PIPE'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`socat exited with ${code}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      const match = /listening on (?:UDP )?AF=2 [\d.]+:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  const stop = () => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  };
  return { endpoint: { host: '127.0.0.1', port, netns: NS }, stop };
}

describe.skipIf(!haveTools)('clients inside a network namespace', { timeout: 60_000 }, () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    sshd = await startSshd([], NS);
  });
  afterAll(async () => {
    await sshd?.stop();
    execFileSync('ip', ['netns', 'del', NS]);
  });

  const target = (netns?: string): SshTarget => ({
    role: 'lab guest',
    host: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    keyFile: sshd.clientKey,
    knownHosts: sshd.knownHosts,
    ...(netns ? { netns } : {}),
    connectTimeoutMs: 10_000,
  });

  it('SSH reaches a server only the namespace can reach, host key checked', async () => {
    const direct = await RemoteHost.connect(target()).then(
      (h) => h.close(),
      (e: unknown) => e,
    );
    expect((direct as Error).message).toMatch(/Nothing listens for SSH/);
    const host = await RemoteHost.connect(target(NS));
    try {
      const result = await host.exec(['sh', '-c', 'readlink /proc/self/ns/net']);
      expect(result.exitCode).toBe(0);
      // The remote shell runs in the namespace: its net namespace differs from the test's.
      expect(result.stdout.trim()).not.toBe(
        execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).trim(),
      );
    } finally {
      host.close();
    }
  });

  it('a missing namespace is named in the error', async () => {
    const error = await RemoteHost.connect(target('rbtest-no-such-ns')).then(
      (h) => h.close(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/from netns rbtest-no-such-ns/);
    expect((error as Error).message).toMatch(/rbtest-no-such-ns/);
  });

  for (const transport of ['tcp', 'udp'] as const) {
    it(`the latency client runs in the namespace against a socat echo (${transport})`, async () => {
      const server = await socatEcho(transport);
      try {
        const input: LatencyClientInput = {
          endpoint: server.endpoint,
          transport,
          payloadBytes: 32,
          timeoutMs: 1000,
          ratePerS: 200,
          warmupS: 0.2,
          durationS: 1,
          closedLoopS: 0.5,
        };
        const output = await runClientProcess<LatencyClientOutput>(
          NS,
          CLIENT_MODULE,
          input,
          new AbortController().signal,
        );
        const { open, closed } = decodeClientOutput(output, input.durationS);
        expect(open.measuredSent).toBe(200);
        expect(open.lost).toBe(0);
        expect(open.histogram.totalCount).toBe(200);
        // Loopback inside the namespace: well under 50 ms even on a loaded 2-core machine.
        expect(open.histogram.getValueAtPercentile(50)).toBeLessThan(50_000);
        expect(closed?.samples).toBeGreaterThan(10);
        expect(closed?.timeouts).toBe(0);
      } finally {
        server.stop();
      }
    });
  }

  it('Ctrl-C ends the client in the namespace at once', async () => {
    const server = await socatEcho('tcp');
    const abort = new AbortController();
    const began = performance.now();
    setTimeout(() => abort.abort(), 1500);
    try {
      const outcome = await runClientProcess(
        NS,
        CLIENT_MODULE,
        {
          endpoint: server.endpoint,
          transport: 'tcp',
          payloadBytes: 32,
          timeoutMs: 1000,
          ratePerS: 100,
          warmupS: 0,
          durationS: 30,
          closedLoopS: 0,
        } satisfies LatencyClientInput,
        abort.signal,
      ).catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(InterruptedError);
      expect(performance.now() - began).toBeLessThan(10_000);
    } finally {
      server.stop();
    }
  });

  it('a client failure in the namespace is reported with its reason', async () => {
    const error = await runClientProcess(
      NS,
      CLIENT_MODULE,
      {
        endpoint: { host: '127.0.0.1', port: 9 },
        transport: 'tcp',
        payloadBytes: 32,
        timeoutMs: 500,
        ratePerS: 10,
        warmupS: 0,
        durationS: 1,
        closedLoopS: 0,
      } satisfies LatencyClientInput,
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      new RegExp(`network namespace ${NS} failed \\(exit 1\\): .*ECONNREFUSED`),
    );
  });

  it('leaves no echo server running in the namespace (socat forks a child per peer)', async () => {
    // A SIGKILL is delivered at once, but the kernel reaps asynchronously: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pids = execFileSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    const programs = pids.map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return 'gone';
      }
    });
    expect(programs.filter((p) => p === 'socat')).toEqual([]);
  });
});
